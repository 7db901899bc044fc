"""The vector index: upserts replace, removals stick, and the log replays after a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sounding.search.vectors import LOG, VectorIndex


def unit(*rows: list[float]) -> np.ndarray:
    a = np.asarray(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def keys(*k: int) -> np.ndarray:
    return np.asarray(k, dtype=np.uint64)


def test_nearest_first_and_upserts_replace(tmp_path: Path) -> None:
    index = VectorIndex(tmp_path, 3)
    index.upsert(keys(1, 2, 3), unit([1, 0, 0], [0, 1, 0], [0, 0, 1]))
    assert [k for k, _ in index.search(unit([1, 0.1, 0])[0], 2)] == [1, 2]
    index.upsert(keys(1), unit([0, 0, 1]))
    assert len(index) == 3
    assert index.search(unit([0, 0, 1])[0], 3)[0][1] > 0.99
    index.remove(keys(3))
    assert [k for k, _ in index.search(unit([0, 0, 1])[0], 3)] == [1, 2]


def test_log_replays_and_a_torn_tail_is_dropped(tmp_path: Path) -> None:
    index = VectorIndex(tmp_path, 3)
    index.upsert(keys(1, 2), unit([1, 0, 0], [0, 1, 0]))
    index.commit(snapshot=True)
    index.upsert(keys(3), unit([0, 0, 1]))
    index.remove(keys(1))
    index.commit()
    with open(tmp_path / LOG, "ab") as fh:
        fh.write(b"\x01\x05\x00")  # a record cut short by a crash
    again = VectorIndex(tmp_path, 3)
    assert len(again) == 2
    assert again.search(unit([0, 0, 1])[0], 1)[0][0] == 3
    again.upsert(keys(4), unit([1, 1, 0]))
    again.commit()
    assert len(VectorIndex(tmp_path, 3)) == 3  # appends after the cut stay readable
