"""The semantic side: unit vectors by 63-bit key in a usearch HNSW graph, kept on disk as a
snapshot plus an append-only log.

Small collections (below ``exact_below`` vectors) are searched exhaustively, so results are
exact where catalogs usually are; larger ones through the graph. ``commit`` appends the
pending changes to the log and fsyncs it; when the log grows past a share of the index a
new snapshot replaces it (written aside, then renamed), so a crash at any point replays to
the same state.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from usearch.index import Index

from sounding.errors import StoreError

logger = logging.getLogger(__name__)

_UPSERT, _REMOVE = 1, 2
_HEAD = struct.Struct("<BQ")
SNAPSHOT = "vectors.usearch"
LOG = "vectors.log"


class VectorIndex:
    """Key -> unit vector, nearest neighbours by cosine similarity."""

    def __init__(
        self,
        path: Path,
        dims: int,
        *,
        exact_below: int = 50_000,
        threads: int = 1,
        connectivity: int = 8,
        expansion_add: int = 32,
        expansion_search: int = 256,
    ) -> None:
        self.path = path
        self.dims = dims
        self.exact_below = exact_below
        self.threads = threads
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        self._log_records = 0
        self._params = (connectivity, expansion_add, expansion_search)
        self._index = self._new_index()
        path.mkdir(parents=True, exist_ok=True)
        self._load()

    def __len__(self) -> int:
        return len(self._index)

    def upsert(
        self, keys: NDArray[np.uint64], vectors: NDArray[np.float32], *, bulk: bool = False
    ) -> None:
        """Add or replace vectors. ``bulk`` (a rebuild into a cleared index, snapshotted at
        the end) skips the replace check and the log."""
        if len(keys) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            if bulk:
                self._index.add(keys, vectors, threads=self.threads)
                return
            self._apply_upsert(keys, vectors)
            half = vectors.astype(np.float16)
            for key, row in zip(keys.tolist(), half, strict=True):
                self._pending.append(_HEAD.pack(_UPSERT, key) + row.tobytes())

    def remove(self, keys: NDArray[np.uint64]) -> None:
        if len(keys) == 0:
            return
        with self._lock:
            self._index.remove(keys)
            self._pending.extend(_HEAD.pack(_REMOVE, k) for k in keys.tolist())

    def clear(self) -> None:
        """Forget everything (a rebuild follows), on disk too."""
        with self._lock:
            self._index = self._new_index()
            self._pending.clear()
            for name in (SNAPSHOT, LOG):
                (self.path / name).unlink(missing_ok=True)
            self._log_records = 0

    def search(self, vector: NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (key, cosine similarity) pairs, most similar first."""
        with self._lock:
            n = len(self._index)
            if n == 0 or k <= 0:
                return []
            found = self._index.search(
                np.asarray(vector, dtype=np.float32), min(k, n), exact=n < self.exact_below
            )
        keys = found.keys.tolist()
        sims = (1.0 - found.distances).tolist()
        return [(int(key), float(sim)) for key, sim in zip(keys, sims, strict=True)]

    def commit(self, *, snapshot: bool = False) -> None:
        """Make pending changes durable; write a snapshot when the log has grown big."""
        with self._lock:
            if self._pending:
                try:
                    with open(self.path / LOG, "ab") as fh:
                        fh.write(b"".join(self._pending))
                        fh.flush()
                        os.fsync(fh.fileno())
                except OSError as exc:
                    raise StoreError(f"Failed to write the vector log: {exc}") from exc
                self._log_records += len(self._pending)
                self._pending.clear()
            if snapshot or self._log_records > max(10_000, len(self._index) // 4):
                self._snapshot()

    # --- internals ---------------------------------------------------------------------

    def _new_index(self) -> Index:
        connectivity, expansion_add, expansion_search = self._params
        return Index(
            ndim=self.dims,
            metric="cos",
            dtype="f16",
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )

    def _apply_upsert(self, keys: NDArray[np.uint64], vectors: NDArray[np.float32]) -> None:
        present = np.asarray(self._index.contains(keys), dtype=bool).reshape(-1)
        if present.any():
            self._index.remove(keys[present])
        self._index.add(keys, vectors, threads=self.threads)

    def _snapshot(self) -> None:
        tmp = self.path / (SNAPSHOT + ".tmp")
        try:
            self._index.save(str(tmp))
            os.replace(tmp, self.path / SNAPSHOT)
            (self.path / LOG).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"Failed to save the vector index: {exc}") from exc
        self._log_records = 0

    def _load(self) -> None:
        snapshot = self.path / SNAPSHOT
        if snapshot.exists():
            self._index.load(str(snapshot))
        log = self.path / LOG
        if not log.exists():
            return
        data = log.read_bytes()
        width = self.dims * 2
        pos, records = 0, 0
        while pos + _HEAD.size <= len(data):
            op, key = _HEAD.unpack_from(data, pos)
            keys = np.asarray([key], dtype=np.uint64)
            if op == _UPSERT:
                if pos + _HEAD.size + width > len(data):
                    break
                row = np.frombuffer(data, np.float16, self.dims, pos + _HEAD.size)
                self._apply_upsert(keys, row.astype(np.float32)[None, :])
                pos += _HEAD.size + width
            else:
                self._index.remove(keys)
                pos += _HEAD.size
            records += 1
        if pos != len(data):  # a torn last record was never acknowledged: drop it
            with open(log, "r+b") as fh:
                fh.truncate(pos)
        self._log_records = records
        logger.debug("Replayed %d vector log records from %s", records, log)
