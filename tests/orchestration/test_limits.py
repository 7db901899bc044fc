"""Limits: global, per execution, per source, pools, resources; priorities and FIFO."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sounding.domain.orchestration import RunStatus
from sounding.errors import ValidationFailedError
from sounding.orchestration.limits import Dispatcher, Ticket
from tests.orchestration.helpers import Probe, engine, run, workflow

# -- the dispatcher alone --


def make(capacity: int | None) -> tuple[Dispatcher, list[Any]]:
    started: list[Any] = []
    return Dispatcher(capacity, lambda t: started.append(t.payload)), started


def test_higher_priority_first_and_fifo_within_a_priority() -> None:
    started: list[Ticket] = []
    d = Dispatcher(1, started.append)
    d.submit(0, [(d.global_limit, 1)], "running")
    for name, prio in [("low1", 0), ("high1", 5), ("low2", 0), ("high2", 5), ("mid", 3)]:
        d.submit(prio, [(d.global_limit, 1)], name)
    for i in range(5):
        d.release(started[i])
    assert [t.payload for t in started] == ["running", "high1", "high2", "mid", "low1", "low2"]


def test_a_full_source_does_not_block_other_sources() -> None:
    d, started = make(None)
    shop = d.constraint("source:shop", 1)
    d.submit(0, [(shop, 1)], "shop-1")
    d.submit(9, [(shop, 1)], "shop-2")  # higher priority but its source is full
    d.submit(0, [(d.constraint("source:crm", 1), 1)], "crm-1")
    assert started == ["shop-1", "crm-1"]


def test_oversized_ticket_runs_alone_instead_of_forever_waiting() -> None:
    d, started = make(None)
    pool = d.constraint("pool:db", 2)
    small = d.submit(0, [(pool, 1)], "small")
    d.submit(0, [(pool, 3)], "big")
    assert started == ["small"]
    d.release(small)
    assert started == ["small", "big"]


def test_paused_constraint_admits_nothing_until_resumed() -> None:
    d, started = make(None)
    ex = d.constraint("execution:1")
    d.set_paused(ex, True)
    d.submit(0, [(ex, 1)], "a")
    assert started == []
    d.set_paused(ex, False)
    assert started == ["a"]


def test_withdrawn_ticket_never_starts() -> None:
    d, started = make(1)
    running = d.submit(0, [(d.global_limit, 1)], "a")
    queued = d.submit(0, [(d.global_limit, 1)], "b")
    assert d.withdraw(queued) and not d.withdraw(running)
    d.release(running)
    assert started == ["a"] and d.global_limit.used == 0


def test_released_room_reaches_tickets_parked_behind_a_paused_execution() -> None:
    d, started = make(None)
    shop, ex1, ex2 = d.constraint("shop", 1), d.constraint("ex1"), d.constraint("ex2")
    t0 = d.submit(0, [(ex2, 1), (shop, 1)], "ex2-0")
    d.submit(5, [(ex1, 1), (shop, 1)], "ex1-a")  # parks on shop
    d.submit(0, [(ex2, 1), (shop, 1)], "ex2-b")  # parks on shop
    d.set_paused(ex1, True)
    d.release(t0)  # shop frees: ex1-a is woken first but its execution is paused
    assert started == ["ex2-0", "ex2-b"]


# -- limits through the engine --


def execute(probe: Probe, *docs: dict[str, Any], **config: Any) -> list[RunStatus]:
    async def main() -> list[RunStatus]:
        async with engine(probe, **config) as eng:
            ids = [await eng.submit(doc) for doc in docs]
            return [(await eng.wait(i)).status for i in ids]

    return run(main())


def test_per_source_limit_is_never_exceeded_under_load() -> None:
    probe = Probe()
    steps = [
        {"id": f"scan_{src}", "type": "probe",
         "config": {"tasks": 120, "source": src, "seconds": 0.003}}
        for src in ("shop", "crm", "erp")
    ]  # fmt: skip
    doc = workflow(*steps, limits={"per_source": 4})
    assert execute(probe, doc, max_concurrency=64) == [RunStatus.COMPLETED]
    assert len(probe.spans) == 360
    assert dict(probe.max_by_source) == {"shop": 4, "crm": 4, "erp": 4}


def test_engine_source_limit_holds_across_executions() -> None:
    probe = Probe()
    docs = [
        workflow({"id": "s", "type": "probe",
                  "config": {"tasks": 30, "source": "shop", "seconds": 0.003}}, name=f"w{i}")
        for i in range(3)
    ]  # fmt: skip
    statuses = execute(probe, *docs, source_limits={"shop": 3})
    assert statuses == [RunStatus.COMPLETED] * 3
    assert probe.max_by_source["shop"] == 3


def test_global_concurrency_limit() -> None:
    probe = Probe()
    docs = [workflow({"id": "s", "type": "probe", "config": {"tasks": 20, "seconds": 0.005}},
                     name=f"w{i}") for i in range(3)]  # fmt: skip
    execute(probe, *docs, max_concurrency=5)
    assert probe.max_running == 5


def test_pool_slots_bound_the_steps_that_use_the_pool() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "heavy", "type": "probe", "pool": "db", "pool_slots": 2,
         "config": {"tasks": 10, "seconds": 0.01}},
        {"id": "light", "type": "probe", "pool": "db", "config": {"tasks": 10, "seconds": 0.01}},
        {"id": "free", "type": "probe", "config": {"tasks": 10, "seconds": 0.05}},
    )  # fmt: skip
    probe_pool: list[int] = []

    async def main() -> RunStatus:
        async with engine(probe, pools={"db": 4}) as eng:
            eid = await eng.submit(doc)
            while (rec := await eng.storage.get_execution(eid)).status is not RunStatus.COMPLETED:
                probe_pool.append(int(eng.rt.dispatcher.constraint("pool:db").used))
                await asyncio.sleep(0.002)
            return rec.status

    assert run(main()) == RunStatus.COMPLETED
    assert max(probe_pool) == 4
    heavy_overlap = max(
        sum(1 for o in probe.spans_of("heavy") if o.start <= s.start < o.end)
        for s in probe.spans_of("heavy")
    )
    assert heavy_overlap == 2  # 2 slots each in a pool of 4
    assert probe.max_running >= 10  # steps outside the pool were not held back


def test_unknown_pool_is_a_validation_error_naming_the_step() -> None:
    probe = Probe()

    async def main() -> None:
        async with engine(probe) as eng:
            await eng.submit(
                workflow({"id": "a", "type": "probe"}, {"id": "b", "type": "probe", "pool": "gpu"})
            )

    with pytest.raises(ValidationFailedError) as info:
        run(main())
    assert info.value.details["errors"] == [{"loc": "steps[1].pool", "msg": "unknown pool 'gpu'"}]


def test_resources_bound_concurrency_by_amount() -> None:
    probe = Probe()
    doc = workflow({"id": "a", "type": "probe", "resources": {"memory_gb": 3},
                    "config": {"tasks": 8, "seconds": 0.01}})  # fmt: skip
    execute(probe, doc, resources={"memory_gb": 8})
    assert probe.max_running == 2


def test_priorities_order_queued_tasks_across_steps() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "hold", "type": "probe", "priority": 100, "config": {"seconds": 0.05}},
        {"id": "low", "type": "probe", "config": {"tasks": 4}},
        {"id": "high", "type": "probe", "priority": 10, "config": {"tasks": 4}},
        limits={"max_concurrent": 1},
    )
    assert execute(probe, doc) == [RunStatus.COMPLETED]
    order = [(s.step, s.key) for s in probe.spans]
    assert order == [("hold", "*")] + [("high", str(i)) for i in range(4)] + [
        ("low", str(i)) for i in range(4)
    ]
