"""Each strategy's semantics, observed through what the probe saw running when."""

from __future__ import annotations

import itertools
from typing import Any

from sounding.domain.orchestration import EventKind, RunStatus
from tests.orchestration.helpers import Probe, engine, run, workflow


def execute(probe: Probe, doc: dict[str, Any], **config: Any) -> tuple[str, Any]:
    async def main() -> tuple[str, Any]:
        async with engine(probe, **config) as eng:
            eid = await eng.submit(doc)
            rec = await eng.wait(eid)
            return rec.status, await eng.storage.list_events(eid)

    return run(main())


def test_sequential_runs_one_task_at_a_time_in_topological_order() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "c", "type": "probe", "depends_on": ["b"], "config": {"tasks": 3}},
        {"id": "a", "type": "probe", "config": {"tasks": 3, "seconds": 0.01}},
        {"id": "b", "type": "probe", "depends_on": ["a"], "config": {"tasks": 3}},
        {"id": "d", "type": "probe", "config": {"tasks": 3, "seconds": 0.01}},
        strategy="sequential",
    )
    status, _ = execute(probe, doc)
    assert status == RunStatus.COMPLETED
    assert probe.max_running == 1
    steps_in_order = list(dict.fromkeys(s.step for s in probe.spans))
    assert steps_in_order == ["a", "b", "c", "d"]  # topological; first declared among ready
    spans = probe.spans
    assert all(x.end <= y.start for x, y in itertools.pairwise(spans))


def test_parallel_and_graph_based_run_every_ready_step_at_once() -> None:
    for strategy in ("parallel", "graph_based"):
        probe = Probe()
        doc = workflow(
            {"id": "a", "type": "probe", "config": {"tasks": 4, "seconds": 0.1}},
            {"id": "b", "type": "probe", "config": {"tasks": 4, "seconds": 0.1}},
            {"id": "c", "type": "probe", "depends_on": ["a", "b"]},
            strategy=strategy,
        )
        status, _ = execute(probe, doc)
        assert status == RunStatus.COMPLETED
        assert probe.max_running == 8, strategy
        (c,) = probe.spans_of("c")
        assert c.start >= max(s.end for s in probe.spans if s.step != "c")


def test_max_concurrent_per_execution_is_respected() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "a", "type": "probe", "config": {"tasks": 30, "seconds": 0.01}},
        limits={"max_concurrent": 3},
    )
    assert execute(probe, doc)[0] == RunStatus.COMPLETED
    assert probe.max_running == 3


def _pipeline_doc(strategy: str) -> dict[str, Any]:
    return workflow(
        {"id": "discover", "type": "probe",
         "config": {"tasks": ["fast", "mid", "slow"],
                    "seconds_by_key": {"fast": 0.01, "mid": 0.05, "slow": 0.3}}},
        {"id": "profile", "type": "probe", "depends_on": ["discover"],
         "config": {"per_object": True, "seconds": 0.01}},
        {"id": "classify", "type": "probe", "depends_on": ["profile"],
         "config": {"per_object": True}},
        {"id": "report", "type": "probe", "depends_on": ["classify"]},
        strategy=strategy,
    )  # fmt: skip


def test_pipeline_starts_downstream_per_object_without_waiting_for_the_step() -> None:
    probe = Probe()
    assert execute(probe, _pipeline_doc("pipeline"))[0] == RunStatus.COMPLETED
    slow_end = next(s.end for s in probe.spans_of("discover") if s.key == "slow")
    profile = {s.key: s for s in probe.spans_of("profile")}
    classify = {s.key: s for s in probe.spans_of("classify")}
    assert set(profile) == set(classify) == {"fast", "mid", "slow"}
    # object "fast" went through profile and classify while discover was still busy with "slow"
    assert classify["fast"].end < slow_end
    assert profile["mid"].start < slow_end
    # per object, order is kept; the non-fan-out step waits for the whole upstream step
    assert profile["slow"].start >= slow_end
    (report,) = probe.spans_of("report")
    assert report.start >= max(s.end for s in probe.spans_of("classify"))
    assert report.key == "*"


def test_graph_based_waits_for_the_whole_upstream_step() -> None:
    probe = Probe()
    assert execute(probe, _pipeline_doc("graph_based"))[0] == RunStatus.COMPLETED
    last_discover = max(s.end for s in probe.spans_of("discover"))
    assert min(s.start for s in probe.spans_of("profile")) >= last_discover


def test_per_object_tasks_receive_the_upstream_result_for_their_object() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "a", "type": "probe", "config": {"tasks": ["t1", "t2"]}},
        {"id": "b", "type": "probe", "depends_on": ["a"], "config": {"per_object": True}},
        strategy="pipeline",
    )

    async def main() -> Any:
        async with engine(probe) as eng:
            eid = await eng.submit(doc)
            await eng.wait(eid)
            return await eng.storage.list_task_attempts(eid, step_id="b")

    results = {a.task_key: a.result for a in run(main())}
    assert results["t2"] == {"key": "t2", "inputs": {"a": {"key": "t2", "inputs": {}}}}


def test_pipeline_object_failing_upstream_is_not_processed_downstream() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "a", "type": "probe", "config": {"tasks": ["ok1", "bad", "ok2"], "fail": ["bad"]}},
        {"id": "b", "type": "probe", "depends_on": ["a"], "config": {"per_object": True}},
        strategy="pipeline",
    )
    status, events = execute(probe, doc)
    assert status == RunStatus.FAILED
    assert sorted(s.key for s in probe.spans_of("b")) == ["ok1", "ok2"]
    final = {e.step_id: e.status for e in events if e.kind is EventKind.STEP_STATUS}
    assert final == {"a": RunStatus.FAILED, "b": RunStatus.COMPLETED}


def _limits(events: list[Any]) -> list[int]:
    return [e.data["limit"] for e in events if e.kind is EventKind.CONCURRENCY_ADJUSTED]


def test_adaptive_cuts_concurrency_when_a_source_errors() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "scan", "type": "probe",
         "config": {"tasks": 48, "source": "flaky", "seconds": 0.02, "fail": "*",
                    "fail_times": 1},
         "retry": {"attempts": 2, "backoff": {"initial": 0, "jitter": 0}}},
        strategy="adaptive",
        adaptive={"initial": 8, "maximum": 8},
    )  # fmt: skip
    status, events = execute(probe, doc)
    assert status == RunStatus.COMPLETED
    limits = _limits(events)
    assert limits[:3] == [4, 2, 1]  # halved once per window of failures
    assert limits[-1] > 1  # grew back once only successful retries were left

    def overlap(span: Any) -> int:
        return sum(1 for o in probe.spans if o.start <= span.start < o.end)

    first_attempts = [s for s in probe.spans if s.attempt == 1]
    assert max(overlap(s) for s in first_attempts[:8]) == 8  # started at the initial limit
    assert max(overlap(s) for s in first_attempts[9:]) <= 2  # then throttled while erroring


def test_adaptive_grows_concurrency_while_a_source_is_healthy() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "scan", "type": "probe",
         "config": {"tasks": 80, "source": "db", "seconds": 0.01}},
        strategy="adaptive",
        adaptive={"initial": 1, "maximum": 6},
    )  # fmt: skip
    status, events = execute(probe, doc)
    assert status == RunStatus.COMPLETED
    limits = _limits(events)
    assert limits[:3] == [2, 3, 4] and max(limits) == 6
    assert probe.max_by_source["db"] == 6
