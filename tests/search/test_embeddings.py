"""The shipped static model: offline, small, fast, and it orders meanings sensibly."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from sounding.errors import InvalidInputError, NotFoundError
from sounding.search.embeddings import MODEL_DIR, StaticEmbedder, bert_words, load_embedder


def test_model_ships_with_its_licence_and_is_small() -> None:
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert size < 20_000_000
    assert "Apache License" in (MODEL_DIR / "LICENSE").read_text(encoding="utf-8")


def test_similar_meanings_are_closer(embedder: StaticEmbedder) -> None:
    q, tracks, invoices, mail, phone = embedder.embed(
        ["songs", "track album genre composer", "invoice billing total", "email", "phone number"]
    )
    assert q @ tracks > q @ invoices
    e = embedder.embed(["customer email address"])[0]
    assert e @ mail > e @ phone
    assert np.allclose(np.linalg.norm(embedder.embed(["anything"]), axis=1), 1.0, atol=1e-5)


def test_empty_and_unknown_text_embed_to_zero(embedder: StaticEmbedder) -> None:
    vectors = embedder.embed(["", "   ", "\x00"])
    assert not vectors.any()


def test_tokenizer_follows_bert_rules() -> None:
    assert bert_words("Order_ID, café!") == ["order", "_", "id", ",", "cafe", "!"]
    assert bert_words("東京 data") == ["東", "京", "data"]


def test_embeds_thousands_of_texts_a_second(embedder: StaticEmbedder) -> None:
    texts = [f"customer order line {i} amount status" for i in range(5000)]
    embedder.embed(texts[:10])
    start = time.perf_counter()
    embedder.embed(texts)
    assert 5000 / (time.perf_counter() - start) > 2000  # measured ~50,000/s idle


def test_missing_model_and_unknown_embedder_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        StaticEmbedder.from_directory(tmp_path)
    with pytest.raises(InvalidInputError):
        load_embedder("gpt")
    assert load_embedder("none") is None
