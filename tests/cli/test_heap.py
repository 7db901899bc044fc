"""A serving process leaves what it holds after start-up out of garbage collection (issue 20).

Checked in a probe process: ``gc.freeze()`` in the test process would pin every test's
objects."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from sounding.cli import heap

class Node:
    pass

heap.pause_during_start()
paused = not gc.isenabled()
with heap.collecting():  # a store's migrations run with collection on
    collecting = gc.isenabled()
paused_again = not gc.isenabled()
held = [Node() for i in range(50_000)]  # what a server keeps for its life
for _ in range(1_000):  # start-up's cyclic garbage
    a = []; a.append(a)
del a
collected_before = gc.get_stats()[2]["collections"]
frozen = heap.freeze_after_start()
class Garbage:
    pass
for _ in range(200_000):  # garbage made while serving is still collected automatically
    g = Garbage(); g.me = g
print(json.dumps({
    "paused": paused,
    "collecting": collecting,
    "paused_again": paused_again,
    "enabled": gc.isenabled(),
    "frozen": frozen,
    "cycles_left": sum(1 for o in gc.get_objects() if type(o) is Garbage),
    "young_collections": gc.get_stats()[0]["collections"],
    "full_collections_before_freeze": collected_before,
}))
"""


def test_start_up_is_frozen_and_collection_resumes() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    found = json.loads(out.stdout)
    assert found["paused"] and found["collecting"] and found["paused_again"]
    assert found["enabled"]
    assert found["full_collections_before_freeze"] == 0  # none while paused
    assert found["frozen"] >= 50_000  # the held objects, not the start-up's cycles
    assert found["young_collections"] > 0
    assert found["cycles_left"] < 5_000  # of 200,000 self-referencing objects made after


def test_serve_pauses_collection_before_it_builds_anything() -> None:
    import inspect

    from sounding.cli import core

    body = inspect.getsource(core.serve).split('"""', 2)[2].lstrip().splitlines()
    assert body[:2] == [
        "malloc.tune()  # before any thread starts: see cli/malloc.py (issue 20)",
        "    heap.pause_during_start()  # until the app has started: see cli/heap.py (issue 20)",
    ]
