"""DAG order and cycles, on the dag-factory corpus and on Airflow's benchmark shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sounding.errors import ParseError, ValidationFailedError
from sounding.orchestration import parse_workflow
from sounding.orchestration.dag import ancestors, descendants, find_cycle, topological_order


def corpus_rows(corpora: Path) -> list[dict[str, Any]]:
    path = corpora / "orchestration" / "dag_factory_structures.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def to_workflow(row: dict[str, Any]) -> dict[str, Any]:
    """A dag-factory DAG as our workflow: tasks (and task groups) become noop steps."""
    upstream: dict[str, list[str]] = {t: [] for t in row["tasks"]}
    for group in row.get("task_groups") or []:
        upstream.setdefault(group, [])
    for up, down in row["edges_upstream_to_downstream"]:
        upstream.setdefault(up, [])
        upstream.setdefault(down, []).append(up)
    doc: dict[str, Any] = {
        "name": row["dag_id"],
        "steps": [{"id": t, "type": "noop", "depends_on": deps} for t, deps in upstream.items()],
    }
    schedule = row.get("schedule")
    if isinstance(schedule, str) and schedule.strip().lower() != "none":
        doc["schedule"] = schedule
    return doc


def test_every_corpus_dag_parses_in_a_valid_topological_order(corpora: Path) -> None:
    rows = [r for r in corpus_rows(corpora) if "parse_error" not in r]
    assert len(rows) == 84
    edges_checked = 0
    for row in rows:
        spec = parse_workflow(to_workflow(row))
        order = topological_order({s.id: list(s.depends_on) for s in spec.steps})
        position = {step: i for i, step in enumerate(order)}
        assert set(position) >= set(row["tasks"])
        for up, down in row["edges_upstream_to_downstream"]:
            assert position[up] < position[down], (row["dag_id"], up, down)
            edges_checked += 1
    assert edges_checked == 85


def test_corpus_cron_schedules_validate(corpora: Path) -> None:
    crons = [to_workflow(r).get("schedule") for r in corpus_rows(corpora) if "tasks" in r]
    crons = [c for c in crons if c]
    assert len(crons) >= 40
    for cron in crons:
        assert parse_workflow(
            {"name": "c", "schedule": cron, "steps": [{"id": "a", "type": "noop"}]}
        )


def test_the_two_invalid_corpus_files_are_rejected(corpora: Path) -> None:
    bad = [r["file"] for r in corpus_rows(corpora) if "parse_error" in r]
    assert sorted(bad) == ["dev_dags_invalid.yaml", "tests_fixtures_invalid_yaml.yml"]
    for name in bad:
        text = (corpora / "orchestration" / "dag_factory_yaml" / name).read_text()
        with pytest.raises(ParseError):
            parse_workflow(text)


def test_corpus_dag_with_an_added_back_edge_is_rejected_naming_the_cycle(corpora: Path) -> None:
    row = next(r for r in corpus_rows(corpora) if r.get("dag_id") == "example_breadfast")
    doc = to_workflow(row)
    begin = next(s for s in doc["steps"] if s["id"] == "begin")
    begin["depends_on"] = ["end"]
    with pytest.raises(ValidationFailedError) as info:
        parse_workflow(doc)
    (err,) = info.value.details["errors"]
    assert err["loc"] == "steps[0].depends_on[0]" and "begin -> end" in err["msg"]


# Airflow's scheduler benchmark shapes (dev/perf/dags/elastic_dag.py), re-expressed.


def linear(n: int) -> dict[str, list[str]]:
    return {f"t{i}": [f"t{i - 1}"] if i else [] for i in range(n)}


def binary_tree(n: int) -> dict[str, list[str]]:
    return {f"t{i}": [f"t{(i - 1) // 2}"] if i else [] for i in range(n)}


def star(n: int) -> dict[str, list[str]]:
    return {
        "head": [],
        **{f"t{i}": ["head"] for i in range(n - 2)},
        "tail": [f"t{i}" for i in range(n - 2)],
    }


def grid(n: int) -> dict[str, list[str]]:
    side = int(n**0.5)
    return {
        f"t{r}_{c}": [f"t{r - 1}_{c}"] * (r > 0) + [f"t{r}_{c - 1}"] * (c > 0)
        for r in range(side)
        for c in range(side)
    }


@pytest.mark.parametrize("shape", [linear, binary_tree, star, grid])
def test_benchmark_shapes_order_every_edge(shape: Any) -> None:
    graph = shape(400)
    order = topological_order(graph)
    position = {n: i for i, n in enumerate(order)}
    assert len(order) == len(graph)
    assert all(position[d] < position[n] for n, deps in graph.items() for d in deps)


def test_order_is_stable_in_declaration_order() -> None:
    assert topological_order({"c": [], "a": [], "b": ["c"], "d": ["a"]}) == ["c", "a", "b", "d"]


def test_deep_cycle_is_found_without_recursion() -> None:
    graph = linear(5000)
    graph["t0"] = ["t4999"]
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) == 5001
    with pytest.raises(ValueError, match="cycle"):
        topological_order(graph)


def test_ancestors_and_descendants() -> None:
    graph = binary_tree(7)
    assert ancestors(graph, ["t6"]) == {"t2", "t0"}
    assert descendants(graph, ["t1"]) == {"t3", "t4"}
