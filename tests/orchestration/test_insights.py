"""Insights on synthetic histories with known answers: forecasts and their error, ETAs, MAD
anomalies, recommendation rules, templates, and the engine's load snapshot."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sounding.domain.orchestration import (
    ExecutionRecord,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
)
from sounding.errors import NotFoundError, ValidationFailedError
from sounding.features.insights import advice
from sounding.features.insights import stats as st
from sounding.orchestration.parsing import parse_workflow
from sounding.orchestration.templating import builtin_templates, instantiate, load_template
from tests.orchestration.helpers import Probe, engine, run, workflow

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RS = RunStatus


def samples(pairs: list[tuple[int, float]]) -> list[st.Sample]:
    return [st.Sample(f"e{i}", n, s, T0 + timedelta(hours=i)) for i, (n, s) in enumerate(pairs)]


# --- forecasts ----------------------------------------------------------------------------


def test_exact_linear_history_is_forecast_without_error() -> None:
    history = samples([(n, 2 + 0.5 * n) for n in range(1, 11)])
    f = st.forecast(history, tasks=40)
    assert f is not None and f.model.kind == "linear"
    assert f.model.slope == pytest.approx(0.5) and f.model.intercept == pytest.approx(2.0)
    assert f.seconds == pytest.approx(22.0)
    assert f.mape == pytest.approx(0.0, abs=1e-12)
    assert f.baseline_mape is not None and f.baseline_mape > 0.3  # task counts matter here


def test_noisy_history_error_is_measured_leave_one_out() -> None:
    # +-5 % alternating noise around 1 + 0.2 n: a leave-one-out error near 5 %
    history = samples([(n, (1 + 0.2 * n) * (1.05 if n % 2 else 0.95)) for n in range(5, 55, 5)])
    f = st.forecast(history)
    assert f is not None and f.mape is not None and f.baseline_mape is not None
    assert 0.03 < f.mape < 0.12
    assert f.baseline_mape > 3 * f.mape
    assert f.tasks == 50  # the newest run's count by default


def test_theil_sen_ignores_one_wild_run() -> None:
    pairs = [(n, 1.0 * n) for n in range(1, 10)] + [(5, 500.0)]
    f = st.forecast(samples(pairs), tasks=20)
    assert f is not None and f.model.slope == pytest.approx(1.0, rel=0.05)
    assert f.seconds == pytest.approx(20, rel=0.1)


def test_one_task_count_scales_per_task_and_short_histories_report_no_error() -> None:
    f = st.forecast(samples([(4, 8.0), (4, 12.0)]), tasks=10)
    assert f is not None and f.model.kind == "per_task"
    assert f.seconds == pytest.approx(25.0)  # median 2.5 s per task
    assert f.mape is None and f.baseline_mape is None
    zero = st.forecast(samples([(0, 3.0), (0, 5.0), (0, 4.0)]))
    assert zero is not None and zero.model.kind == "median" and zero.seconds == 4.0
    assert st.forecast([]) is None


def test_samples_come_from_completed_steps_and_executions() -> None:
    execs, steps = history_of(
        [(10, 5.0, RS.COMPLETED), (20, 10.0, RS.COMPLETED), (30, 99.0, RS.FAILED)]
    )
    per_step = st.step_samples(steps, {e.id: e.workflow for e in execs})
    assert [(s.tasks, s.seconds) for s in per_step[("wf", "scan")]] == [(10, 5.0), (20, 10.0)]
    per_exec = st.execution_samples(execs, steps)
    assert [(s.tasks, s.seconds) for s in per_exec["wf"]] == [(11, 5.0), (21, 10.0)]


def history_of(
    runs: list[tuple[int, float, RunStatus]], workflow_name: str = "wf"
) -> tuple[list[ExecutionRecord], list[StepRecord]]:
    """One execution per run: a 1-task ``setup`` step and a ``scan`` step of n tasks."""
    execs, steps = [], []
    for i, (n, secs, status) in enumerate(runs):
        start = T0 + timedelta(hours=i)
        end = start + timedelta(seconds=secs)
        eid = f"{workflow_name}-{i}"
        execs.append(
            ExecutionRecord(
                eid, workflow_name, {}, status, started_at=start, finished_at=end, created_at=start
            )
        )
        failed = n // 2 if status is RS.FAILED else 0
        steps.append(StepRecord(eid, "setup", RS.COMPLETED, 1, 1, 0, start, start))
        steps.append(StepRecord(eid, "scan", status, n, n - failed, failed, start, end))
    return execs, steps


# --- ETA ----------------------------------------------------------------------------------


def test_eta_follows_the_longest_remaining_chain() -> None:
    deps = {"a": [], "b": ["a"], "c": ["a"], "d": ["b"]}
    remaining: dict[str, float | None] = {"a": 0.0, "b": 5.0, "c": 8.0, "d": 2.0}
    assert st.execution_eta(deps, remaining) == 8.0
    remaining["c"] = 1.0
    assert st.execution_eta(deps, remaining) == 7.0  # b then d
    assert st.execution_eta(deps, remaining, sequential=True) == 8.0
    remaining["d"] = None
    assert st.execution_eta(deps, remaining) is None


def test_step_remaining_uses_progress_then_forecast() -> None:
    assert (
        st.step_remaining(
            RS.RUNNING, elapsed=10, done=2, total=10, total_known=True, forecast_seconds=None
        )
        == 40
    )
    assert (
        st.step_remaining(
            RS.RUNNING, elapsed=10, done=0, total=10, total_known=True, forecast_seconds=30
        )
        == 20
    )
    assert (
        st.step_remaining(
            RS.PENDING, elapsed=0, done=0, total=0, total_known=False, forecast_seconds=12
        )
        == 12
    )
    assert (
        st.step_remaining(
            RS.COMPLETED, elapsed=99, done=1, total=1, total_known=True, forecast_seconds=None
        )
        == 0
    )
    assert (
        st.step_remaining(
            RS.PENDING, elapsed=0, done=0, total=0, total_known=False, forecast_seconds=None
        )
        is None
    )


# --- anomalies ----------------------------------------------------------------------------


def test_mad_rule_flags_the_odd_duration_only() -> None:
    history = samples([(10, s) for s in (10, 10.2, 9.9, 10.1, 10, 9.8, 30)])
    flagged = st.duration_anomalies(history)
    assert [(s.key, round(p, 1)) for s, p, _ in flagged] == [("e6", 10.0)]


def test_mad_floor_keeps_a_perfectly_regular_history_from_flagging_jitter() -> None:
    flat = [(10, 10.0)] * 6
    # floor 0.05 in log units, k = 5: flagged beyond exp(0.25) = 1.284x the forecast
    assert st.duration_anomalies(samples([*flat, (10, 12.7)])) == []
    assert [s.seconds for s, _, _ in st.duration_anomalies(samples([*flat, (10, 12.9)]))] == [12.9]
    assert st.duration_anomalies(samples([*flat, (10, 7.7)]))  # faster counts too


def test_a_big_run_is_not_an_anomaly_for_being_big() -> None:
    history = samples([(n, 1 + 0.1 * n) for n in (10, 12, 9, 11, 10, 13, 200)])
    assert st.duration_anomalies(history) == []


def test_too_short_a_history_flags_nothing() -> None:
    assert st.duration_anomalies(samples([(1, 1.0)] * 4 + [(1, 100.0)])) == []


def test_failure_rate_anomalies_are_one_sided() -> None:
    runs = [(10, 1.0, RS.COMPLETED)] * 6 + [(10, 1.0, RS.FAILED)]
    execs, steps = history_of(runs)
    found = st.find_anomalies(execs, steps)
    rates = [a for a in found if a.kind == "failure_rate"]
    assert [(a.execution_id, round(a.value, 3)) for a in rates] == [("wf-6", round(5 / 11, 3))]
    assert "failed" in rates[0].message


def test_find_anomalies_reports_step_and_execution_durations_newest_first() -> None:
    runs = [(10, 5.0, RS.COMPLETED)] * 6 + [(10, 50.0, RS.COMPLETED), (10, 5.1, RS.COMPLETED)]
    execs, steps = history_of(runs)
    found = st.find_anomalies(execs, steps)
    assert {(a.kind, a.execution_id, a.step_id) for a in found} == {
        ("step_duration", "wf-6", "scan"),
        ("execution_duration", "wf-6", None),
    }
    assert all(a.score > st.K_MAD for a in found)
    assert st.find_anomalies(execs, steps, k=1000) == []


def test_percentile_and_mad() -> None:
    assert st.percentile([1, 2, 3, 4], 50) == 2.5
    assert st.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == pytest.approx(9.55)
    assert st.percentile([], 50) is None
    assert st.mad([1, 2, 3, 4, 100]) == (3, 1)


def test_summary_and_trend() -> None:
    execs, steps = history_of(
        [(10, 2.0, RS.COMPLETED), (10, 4.0, RS.COMPLETED), (10, 6.0, RS.FAILED)]
    )
    s = st.summarize(execs, steps)
    assert s.executions == 3 and s.by_status == {"completed": 2, "failed": 1}
    assert s.success_rate == pytest.approx(2 / 3)
    assert s.p50_seconds == 4.0
    assert s.tasks_completed == 11 + 11 + 6 and s.tasks_failed == 5
    assert s.throughput == pytest.approx(28 / 12)
    trend = st.daily_trend(execs, steps, start=T0 - timedelta(days=1), days=2)
    assert [t.executions for _, t in trend] == [0, 3]


# --- sources and concurrency --------------------------------------------------------------


def attempt(
    eid: str,
    key: str,
    start: float,
    secs: float,
    *,
    ok: bool = True,
    source: str = "shop",
    step: str = "scan",
    n: int = 1,
    error_type: str = "SourceError",
) -> TaskAttemptRecord:
    return TaskAttemptRecord(
        eid,
        step,
        key,
        n,
        RS.COMPLETED if ok else RS.FAILED,
        source,
        T0 + timedelta(seconds=start),
        T0 + timedelta(seconds=start + secs),
        error=None if ok else "boom",
        error_type=None if ok else error_type,
        final=True,
    )


def test_concurrency_at_start_counts_overlaps() -> None:
    attempts = [
        attempt("e", "a", 0, 2),
        attempt("e", "b", 0.5, 2),
        attempt("e", "c", 2, 1),
        attempt("e", "d", 2.6, 1),
    ]
    assert st.concurrency_at_start(attempts) == [1, 2, 2, 2]
    # a: alone 0.5 s, then with b 1.5 s -> (0.5 + 3) / 2
    assert st.mean_concurrency(attempts)[0] == pytest.approx(1.75)
    loads = st.source_loads(attempts)
    assert loads["shop"].peak_concurrency == 2 and loads["shop"].attempts == 4


def saturated_runs(
    limit: int,
    tasks: int,
    executions: int,
    *,
    secs: float = 1.0,
    fail_every: int = 0,
    slow_at_limit: float = 1.0,
) -> list[TaskAttemptRecord]:
    """Per execution: task 0 alone (the low-load baseline, ``secs``), then the others in waves
    of ``limit`` at once, each lasting ``secs * slow_at_limit``; every ``fail_every``-th fails."""
    out = []
    for e in range(executions):
        out.append(attempt(f"e{e}", "t0", 0, secs))
        for i in range(1, tasks):
            wave, slot = divmod(i - 1, limit)
            dur = secs * slow_at_limit
            failed = bool(fail_every) and i % fail_every == 0
            out.append(
                attempt(f"e{e}", f"t{i}", secs + wave * dur + 0.001 * slot, dur, ok=not failed)
            )
    return out


def history(
    attempts: list[TaskAttemptRecord],
    *,
    per_source: int | None = 2,
    steps: list[StepRecord] | None = None,
    documents: dict[str, Any] | None = None,
    scans: dict[str, list[advice.ScanFigures]] | None = None,
    doc: dict[str, Any] | None = None,
) -> advice.History:
    doc = doc or {
        "name": "wf",
        "limits": {"per_source": per_source} if per_source else {},
        "steps": [{"id": "scan", "type": "noop", "config": {"source": "shop"}}],
    }
    ids = sorted({a.execution_id for a in attempts} | {s.execution_id for s in steps or []})
    execs = [ExecutionRecord(i, "wf", {}, RS.COMPLETED) for i in reversed(ids)]
    return advice.History(
        parse_workflow(doc), execs, steps or [], attempts, scans or {}, documents or {}
    )


def kinds(recs: list[advice.Recommendation]) -> list[str]:
    return [r.kind for r in recs]


def test_raise_concurrency_when_tasks_wait_and_the_source_is_healthy() -> None:
    recs = advice.recommend(history(saturated_runs(2, 8, 3)))
    assert kinds(recs) == ["raise_source_concurrency"]
    rec = recs[0]
    assert rec.change == advice.Change("limits.per_source", 4)
    assert rec.evidence["executions_at_limit_with_tasks_waiting"] == 3
    assert rec.evidence["failed_attempts"] == 0
    assert rec.evidence["latency_inflation"] == pytest.approx(1.0)
    assert advice.recommend(history(saturated_runs(2, 8, 3)))[0].id == rec.id  # stable id


def test_no_raise_with_errors_too_few_runs_or_no_waiting() -> None:
    assert advice.recommend(history(saturated_runs(2, 8, 2))) == []  # 2 < 3 executions
    assert advice.recommend(history(saturated_runs(4, 4, 3), per_source=4)) == []  # no queue
    flaky = advice.recommend(history(saturated_runs(2, 30, 3, fail_every=20)))
    assert "raise_source_concurrency" not in kinds(flaky)  # 2 of 30 failed: over 2 %


def test_raise_is_capped_by_max_concurrent() -> None:
    doc = {
        "name": "wf",
        "limits": {"per_source": 2, "max_concurrent": 3},
        "steps": [{"id": "scan", "type": "noop"}],
    }
    recs = advice.recommend(history(saturated_runs(2, 8, 3), doc=doc))
    assert recs[0].change == advice.Change("limits.per_source", 3)


def test_lower_concurrency_on_intermittent_errors() -> None:
    recs = advice.recommend(history(saturated_runs(4, 10, 3, fail_every=3), per_source=4))
    assert kinds(recs) == ["lower_source_concurrency"]
    assert recs[0].change == advice.Change("limits.per_source", 2)
    assert recs[0].evidence["error_rate"] == pytest.approx(9 / 30)
    assert recs[0].evidence["source"] == "shop"


def test_lower_concurrency_when_latency_inflates_at_the_limit() -> None:
    recs = advice.recommend(history(saturated_runs(4, 12, 3, slow_at_limit=4.0), per_source=4))
    assert kinds(recs) == ["lower_source_concurrency"]
    assert recs[0].evidence["latency_inflation"] == pytest.approx(4.0)
    assert "latency" in recs[0].rationale


def test_a_broken_step_is_not_blamed_on_concurrency() -> None:
    attempts = saturated_runs(4, 10, 3, fail_every=1)  # all but the first task fail
    steps = [StepRecord(f"e{i}", "scan", RS.FAILED, 10, 0, 10, T0, T0) for i in range(3)]
    recs = advice.recommend(history(attempts, per_source=4, steps=steps))
    assert kinds(recs) == ["step_always_fails"]
    ev = recs[0].evidence
    assert ev["consecutive_failures"] == 3 and ev["error_types"] == {"SourceError": 27}
    assert ev["sample_error"] == "boom" and recs[0].change is None


def test_always_failing_needs_the_latest_runs_to_fail() -> None:
    steps = [StepRecord("e0", "scan", RS.COMPLETED, 1, 1, 0, T0, T0)] + [
        StepRecord(f"e{i}", "scan", RS.FAILED, 1, 0, 1, T0, T0, reason="1 task(s) failed")
        for i in (1, 2)
    ]
    assert advice.failing_step_rule(history([], steps=steps)) == []
    steps.append(StepRecord("e3", "scan", RS.FAILED, 1, 0, 1, T0, T0))
    assert kinds(advice.failing_step_rule(history([], steps=steps))) == ["step_always_fails"]


def test_concurrency_rules_only_count_runs_with_the_current_limits() -> None:
    attempts = saturated_runs(4, 10, 3, fail_every=3)
    old = {"limits": {"per_source": 4}}
    docs = {f"e{i}": old for i in range(3)}
    assert advice.recommend(history(attempts, per_source=2, documents=docs)) == []
    same = {f"e{i}": {"limits": {"per_source": 2}} for i in range(3)}
    assert kinds(advice.recommend(history(attempts, per_source=2, documents=same))) == [
        "lower_source_concurrency"
    ]


def classify_doc(incremental: bool = False) -> dict[str, Any]:
    config: dict[str, Any] = {"source": "shop"}
    if incremental:
        config["incremental"] = True
    return {"name": "wf", "steps": [{"id": "classify", "type": "classify", "config": config}]}


def test_incremental_classification_when_scans_find_little_change() -> None:
    mostly_same = {"shop": [advice.ScanFigures(i, 100, 95) for i in range(3)]}
    recs = advice.recommend(history([], doc=classify_doc(), scans=mostly_same))
    assert kinds(recs) == ["incremental_classification"]
    assert recs[0].change == advice.Change("config.incremental", True, step="classify")
    assert recs[0].evidence["median_unchanged_fraction"] == 0.95
    assert advice.recommend(history([], doc=classify_doc(True), scans=mostly_same)) == []
    changing = {"shop": [advice.ScanFigures(i, 100, 50) for i in range(3)]}
    assert advice.recommend(history([], doc=classify_doc(), scans=changing)) == []
    two = {"shop": mostly_same["shop"][:2]}
    assert advice.recommend(history([], doc=classify_doc(), scans=two)) == []


def test_changes_read_write_and_remove_fields() -> None:
    doc = {"name": "w", "limits": {"per_source": 2}, "steps": [{"id": "c", "type": "classify"}]}
    top = advice.Change("limits.per_source", 4)
    assert advice.read_field(doc, top) == 2
    assert advice.write_field(doc, top, 4)["limits"] == {"per_source": 4}
    assert doc["limits"] == {"per_source": 2}  # a copy
    step = advice.Change("config.incremental", True, step="c")
    assert advice.read_field(doc, step) is advice.MISSING
    changed = advice.write_field(doc, step, True)
    assert changed["steps"][0]["config"] == {"incremental": True}
    assert advice.write_field(changed, step, advice.MISSING)["steps"][0]["config"] == {}
    with pytest.raises(NotFoundError):
        advice.read_field(doc, advice.Change("config.x", 1, step="gone"))


# --- templates ----------------------------------------------------------------------------

MINIMAL = {"custom": {"name": "c", "callable": "tests.orchestration.helpers:shout"}}


@pytest.mark.parametrize("name", sorted(builtin_templates()))
def test_every_builtin_template_renders_a_valid_workflow(name: str) -> None:
    template = builtin_templates()[name]
    params = MINIMAL.get(name, {"source": "shop"})
    spec = parse_workflow(instantiate(template, params))
    assert spec.steps and spec.schedule is None
    assert set(s.type for s in spec.steps) <= {
        "discover",
        "profile",
        "classify",
        "lineage",
        "quality",
        "compliance",
        "notify",
        "custom",
    }
    full = {**params, "schedule": "@daily"}
    for key in ("notify_url", "alert_url"):
        if key in template.parameters["properties"]:
            full[key] = "http://127.0.0.1:9/hook"
    spec = parse_workflow(instantiate(template, full))
    assert spec.schedule is not None and spec.schedule.cron == "@daily"
    if "notify_url" in full or "alert_url" in full:
        assert spec.steps[-1].type == "notify"


def test_template_defaults_and_placeholders() -> None:
    doc = instantiate(builtin_templates()["data-discovery"], {"source": "shop"})
    assert doc["name"] == "discovery-shop"
    assert doc["limits"] == {"per_source": 4} and doc["params"] == {"profile": True}
    assert "schedule" not in doc and [s["id"] for s in doc["steps"]] == [
        "discover",
        "profile",
        "lineage",
    ]
    named = instantiate(builtin_templates()["data-discovery"], {"source": "s", "name": "mine"})
    assert named["name"] == "mine"


def test_bad_parameters_are_all_reported_with_their_path() -> None:
    with pytest.raises(ValidationFailedError) as bad:
        instantiate(builtin_templates()["data-discovery"], {"per_source": 0, "colour": "red"})
    locs = {e["loc"] for e in bad.value.details["errors"]}
    assert {"params", "params.per_source"} <= locs
    msgs = " ".join(e["msg"] for e in bad.value.details["errors"])
    assert "'source' is a required property" in msgs and "colour" in msgs


def test_a_template_naming_an_undeclared_parameter_is_refused() -> None:
    text = """
name: t
category: custom
title: T
description: d
parameters: {type: object, properties: {a: {type: string}}}
workflow: {name: "${a}", steps: [{id: x, type: noop, config: {n: "${b}"}}]}
"""
    with pytest.raises(ValidationFailedError) as bad:
        load_template(text)
    assert "${b}" in bad.value.details["errors"][0]["msg"]


# --- the engine's load snapshot -----------------------------------------------------------


def test_engine_load_counts_queued_running_and_per_source() -> None:
    probe = Probe()

    async def scenario() -> Any:
        probe.gate = asyncio.Event()
        async with engine(probe, source_limits={"shop": 3}) as eng:
            wf = workflow(
                {"id": "a", "type": "probe", "config": {"tasks": 5, "source": "shop"}},
                {"id": "b", "type": "probe", "config": {"tasks": 2, "source": "crm"}},
                limits={"per_source": 2},
            )
            eid = await eng.submit(wf)
            for _ in range(200):
                if probe.running == 4:
                    break
                await asyncio.sleep(0.01)
            load = eng.load()
            probe.gate.set()
            await eng.wait(eid)
            return eid, load, eng.load()

    eid, load, after = run(scenario())
    assert load.started and load.executor == "local"
    assert (load.running, load.queued) == (4, 3)
    by_source = {s.source: (s.running, s.queued, s.limit) for s in load.sources}
    assert by_source == {"shop": (2, 3, 3), "crm": (2, 0, None)}
    (ex,) = load.executions
    assert ex.id == eid and ex.per_source_limit == {"shop": 2, "crm": 2}
    assert {s.id: (s.total, s.total_known) for s in ex.steps} == {"a": (5, True), "b": (2, True)}
    assert after.executions == [] and after.running == 0
    assert not math.isnan(ex.elapsed_seconds)
