"""Fixtures for search tests: the shipped embedder (loaded once) and a document factory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.search import SearchDocument
from sounding.search.embeddings import StaticEmbedder
from sounding.search.engine import SearchEngine

_IDS = iter(range(1, 10**9))


def make_doc(
    qualified_name: str, type: str = "table", source: str = "shop", **kw: Any
) -> SearchDocument:
    """A document named after the last part of ``qualified_name``."""
    name = kw.pop("name", qualified_name.split(".")[-1])
    urn = f"urn:sounding:{source}:{qualified_name}"
    base = SearchDocument(
        id=kw.pop("id", next(_IDS)),
        urn=kw.pop("urn", urn),
        name=name,
        qualified_name=qualified_name,
        type=type,
        source=source,
        schema=kw.pop("schema", qualified_name.rpartition(".")[0] or None),
    )
    return replace(base, **kw)


@pytest.fixture(scope="session")
def embedder() -> StaticEmbedder:
    return StaticEmbedder.default()


@pytest.fixture
def engine(tmp_path: Path, embedder: StaticEmbedder) -> Iterator[SearchEngine]:
    eng = SearchEngine(tmp_path / "index", embedder=embedder)
    yield eng
    eng.close()


@pytest.fixture
def keyword_engine(tmp_path: Path) -> Iterator[SearchEngine]:
    eng = SearchEngine(tmp_path / "kw-index", embedder=None)
    yield eng
    eng.close()
