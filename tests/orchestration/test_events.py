"""Live progress for subscribers: status changes, per-step done/total, percentage and ETA."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sounding.domain.orchestration import EventKind, RunEvent, RunStatus
from tests.orchestration.helpers import Probe, engine, run, workflow

DOC = workflow(
    {"id": "a", "type": "probe", "config": {"tasks": 20, "seconds": 0.01}},
    {"id": "b", "type": "probe", "depends_on": ["a"]},
    limits={"max_concurrent": 4},
)


def collect(**config: Any) -> tuple[list[RunEvent], list[RunEvent], list[RunEvent], Any]:
    probe = Probe()

    async def main() -> tuple[list[RunEvent], list[RunEvent], list[RunEvent], Any]:
        async with engine(probe, progress_interval=0.0, **config) as eng:
            heard: list[RunEvent] = []
            remove = eng.events.add_listener(heard.append)
            with eng.events.subscribe() as sub:
                eid = await eng.submit(DOC)
                await eng.wait(eid)
                remove()
                got = []
                while (ev := sub.get_nowait()) is not None:
                    got.append(ev)
            return got, heard, await eng.storage.list_events(eid), sub

    return run(main())


def test_subscribers_see_status_changes_in_order_with_their_log_seq() -> None:
    got, heard, log, _ = collect()
    statuses = [e for e in got if e.kind is not EventKind.PROGRESS]
    assert [(e.seq, e.kind, e.step_id, e.status) for e in statuses] == [
        (e.seq, e.kind, e.step_id, e.status) for e in log
    ]
    execution = [e.status for e in statuses if e.kind is EventKind.EXECUTION_STATUS]
    assert execution == [RunStatus.INITIALIZING, RunStatus.RUNNING, RunStatus.COMPLETED]
    assert [e.seq for e in heard] == [e.seq for e in got]  # callbacks saw the same stream


def test_progress_reports_done_total_percent_and_eta() -> None:
    got, _, _, _ = collect()
    progress = [e.data for e in got if e.kind is EventKind.PROGRESS and e.step_id == "a"]
    assert [p["done"] for p in progress[:-1]] == list(range(1, 21))
    assert all(p["total"] == 20 and p["total_known"] for p in progress)
    percents = [p["percent"] for p in progress]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert progress[9]["eta_seconds"] is not None and progress[9]["eta_seconds"] > 0
    assert progress[-1]["eta_seconds"] == 0.0
    overall = [e.data["execution_percent"] for e in got if e.kind is EventKind.PROGRESS]
    assert overall[-1] == 100.0 and 0 < overall[0] < 50


def test_slow_subscriber_loses_events_instead_of_slowing_the_engine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    probe = Probe()

    async def main() -> tuple[int, int]:
        async with engine(probe, progress_interval=0.0) as eng:
            with eng.events.subscribe(maxsize=3) as sub:
                eid = await eng.submit(DOC)
                assert (await eng.wait(eid)).status is RunStatus.COMPLETED
                log = await eng.storage.list_events(eid)
                kept = [e for e in [sub.get_nowait() for _ in range(3)] if e is not None]
                # catching up from the durable log after the last seq seen
                last_seq = max((e.seq or 0) for e in kept)
                rest = await eng.storage.list_events(eid, after=last_seq)
                return sub.dropped, len(rest) + sum(1 for e in kept if e.seq) - len(log)

    with caplog.at_level(logging.WARNING, logger="sounding.orchestration.events"):
        dropped, missing = run(main())
    assert dropped > 0 and missing == 0
    # the operator hears of it once per subscription, not once per lost event
    behind = [r.getMessage() for r in caplog.records if "fell 3 events behind" in r.getMessage()]
    assert len(behind) == 1, caplog.text


def test_subscription_filters_by_execution() -> None:
    probe = Probe()

    async def main() -> set[str]:
        async with engine(probe) as eng:
            first = await eng.submit(DOC)
            with eng.events.subscribe(execution_id="other") as quiet:
                second = await eng.submit(DOC)
                await eng.wait(first)
                await eng.wait(second)
                assert quiet.get_nowait() is None
            return {first, second}

    assert len(run(main())) == 2
