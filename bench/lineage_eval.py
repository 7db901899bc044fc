"""Lineage accuracy against other projects' test assertions (see corpora/README.md, section 1).

Scores every table-level and column-level case of sqllineage_cases.jsonl,
collate_sqllineage_overlap_cases.jsonl and tokern_data_lineage_cases.jsonl:

* table level: the source set and the target set must both match (exact-match rate), plus
  micro precision/recall/F1 over (case, table) pairs, separately for sources and targets.
  File paths are lineage too: sqllineage lists them apart (``expected_*_paths``), collate in
  the table lists, so expected tables and paths are compared together with ours.
* column level: the set of (source_table.source_column -> target_table.target_column) edges.
  Our ``filter`` edges (columns that only condition the rows) are not in these tools'
  convention and are left out. The two corpora disagree on window functions: sqllineage counts
  the ``PARTITION BY``/``ORDER BY`` columns of an ``OVER`` clause as sources of the result,
  collate does not (OpenLineage calls them INDIRECT). Each corpus is scored by its own
  convention: our ``window`` edges count for sqllineage's cases and not for collate's.

Names compare case-insensitively, without quotes and without the default-schema prefix. A
statement we fail to parse counts as a miss. The 3 collate cases no upstream parser verified
are scored in a separate bucket; TPC-H/TPC-DS base tables (derived from sqlglot's optimised
queries) in another, informational one.

    .venv/bin/python bench/lineage_eval.py [--failures]   # --failures lists misses on stderr

Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sounding.lineage.parse import parse_lineage
from sounding.testing.corpora import corpora_dir

CORPORA = corpora_dir(Path(__file__).resolve().parents[1])
LINEAGE = CORPORA / "lineage"
FILES = {
    "sqllineage": "sqllineage_cases.jsonl",
    "collate": "collate_sqllineage_overlap_cases.jsonl",
    "tokern": "tokern_data_lineage_cases.jsonl",
}
# our own cases of the kinds the held-back corpora caught us missing (stages, table functions,
# DDL options, windows), written from the dialects' documentation; scored apart, per kind
OWN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "lineage_kinds.jsonl"
TPC = {"tpch": ("tpch_queries.jsonl", "tpch_schema.json"), "tpcds": ("tpcds_queries.jsonl", None)}


def norm(name: str | None, default_schema: str | None = None) -> str:
    text = (name or "").replace('"', "").replace("`", "").replace("[", "").replace("]", "")
    text = text.lower()
    if default_schema and text.startswith(default_schema.lower() + "."):
        text = text[len(default_schema) + 1 :]
    return text


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for group, filename in FILES.items():
        for line in (LINEAGE / filename).read_text().splitlines():
            record = json.loads(line)
            record["group"] = group
            record["bucket"] = "unverified" if record.get("verified") is False else "main"
            cases.append(record)
    for line in OWN.read_text().splitlines():
        if line.strip():
            cases.append({**json.loads(line), "group": "sounding", "bucket": "own"})
    return cases


def load_tpc() -> list[dict[str, Any]]:
    cases = []
    for group, (filename, _) in TPC.items():
        path = LINEAGE / filename
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            record = json.loads(line)
            record.update(group=group, bucket="tpc", level="table", dialect="ansi")
            record.setdefault("expected_targets", [])
            cases.append(record)
    return cases


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    settings = case.get("settings") or {}
    lateral = True if str(settings.get("lateral_column_alias_reference", "")) == "1" else None
    result = parse_lineage(
        case["sql"],
        dialect=case.get("dialect") or "ansi",
        schema=case.get("metadata_schema") or None,
        default_schema=case.get("default_schema"),
        lateral_column_aliases=lateral,
    )
    return result.to_dict()


def expected_tables(case: dict[str, Any], key: str) -> set[str]:
    default = case.get("default_schema")
    names = list(case.get(f"expected_{key}") or []) + list(
        case.get(f"expected_{key[:-1]}_paths") or []
    )
    return {norm(n, default) for n in names}


# the edge kinds each corpus counts as lineage (see the module docstring)
COUNTED_KINDS = {
    "collate": {"copy", "transform", "aggregate"},
}
DEFAULT_KINDS = {"copy", "transform", "aggregate", "window"}


def edge_set(
    edges: list[dict[str, Any]], default: str | None, kinds: set[str] | None = None
) -> set[tuple[str, ...]]:
    return {
        (
            norm(e["source_table"], default),
            norm(e["source_column"]),
            norm(e["target_table"], default),
            norm(e["target_column"]),
        )
        for e in edges
        if e.get("kind") is None or e.get("kind") in (kinds or DEFAULT_KINDS)
    }


class Tally:
    def __init__(self) -> None:
        self.cases = self.exact = 0
        self.tp = self.fp = self.fn = 0

    def add(self, got: set[Any], want: set[Any]) -> None:
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)

    def prf(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score(cases: list[dict[str, Any]], show_failures: bool) -> dict[str, Any]:
    tallies: dict[str, Tally] = defaultdict(Tally)  # key: f"{bucket}:{level}:{what}"
    per: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for case in cases:
        bucket, level = case["bucket"], case["level"]
        try:
            got = run_case(case)
        except Exception as error:  # a crash is a miss, and worth seeing
            got = {"sources": [], "targets": [], "column_lineage": [], "errors": [str(error)]}
            print(f"CRASH {case['id']}: {error!r}", file=sys.stderr)
        default = case.get("default_schema")
        if level == "table":
            ok = True
            for key in ("sources", "targets"):
                want = expected_tables(case, key)
                have = {norm(n, default) for n in got[key]}
                tallies[f"{bucket}:table:{key}"].add(have, want)
                ok = ok and have == want
        else:
            want = edge_set(case["expected_column_lineage"] or [], default)
            have = edge_set(
                got["column_lineage"], default, COUNTED_KINDS.get(case["group"], DEFAULT_KINDS)
            )
            tallies[f"{bucket}:column:edges"].add(have, want)
            ok = have == want
        tally = tallies[f"{bucket}:{level}:cases"]
        tally.cases += 1
        tally.exact += ok
        for key in (f"dialect:{case.get('dialect')}", f"group:{case['group']}"):
            if bucket == "main":
                per[key][level][0] += 1
                per[key][level][1] += ok
        if bucket == "own":
            per[f"kind:{case['kind']}"][level][0] += 1
            per[f"kind:{case['kind']}"][level][1] += ok
        if not ok and show_failures:
            print(f"MISS {case['id']} [{case.get('dialect')}]", file=sys.stderr)
            if level == "table":
                want_s, want_t = (sorted(expected_tables(case, k)) for k in ("sources", "targets"))
                print(f"   want S={want_s} T={want_t}", file=sys.stderr)
                print(
                    f"   got  S={got['sources']} T={got['targets']} errors={got['errors']}",
                    file=sys.stderr,
                )
            else:
                print(f"   missing {sorted(want - have)}", file=sys.stderr)
                print(f"   extra   {sorted(have - want)} errors={got['errors']}", file=sys.stderr)
    return summarize(tallies, per)


def summarize(tallies: dict[str, Tally], per: dict[str, dict[str, list[int]]]) -> dict[str, Any]:
    def rate(key: str) -> float | None:
        t = tallies.get(key)
        return round(t.exact / t.cases, 4) if t and t.cases else None

    def breakdown(prefix: str) -> dict[str, Any]:
        out = {}
        for key in sorted(k for k in per if k.startswith(prefix)):
            row: dict[str, Any] = {}
            for level, (n, ok) in sorted(per[key].items()):
                row[f"{level}_exact"] = round(ok / n, 4)
                row[f"{level}_cases"] = n
            out[key[len(prefix) :]] = row
        return out

    main_cases = sum(
        t.cases for k, t in tallies.items() if k.startswith("main:") and k.endswith(":cases")
    )
    return {
        "table_exact": rate("main:table:cases"),
        "column_exact": rate("main:column:cases"),
        "sources_f1": tallies["main:table:sources"].prf()["f1"],
        "targets_f1": tallies["main:table:targets"].prf()["f1"],
        "column_f1": tallies["main:column:edges"].prf()["f1"],
        "sources": tallies["main:table:sources"].prf(),
        "targets": tallies["main:table:targets"].prf(),
        "columns": tallies["main:column:edges"].prf(),
        "table_cases": tallies["main:table:cases"].cases,
        "column_cases": tallies["main:column:cases"].cases,
        "cases": main_cases,
        "per_dialect": breakdown("dialect:"),
        "per_group": breakdown("group:"),
        "own_kinds": breakdown("kind:"),
        "unverified": {
            "column_exact": rate("unverified:column:cases"),
            "cases": tallies["unverified:column:cases"].cases,
        },
        "tpc_sources": {
            "table_exact": rate("tpc:table:cases"),
            **tallies["tpc:table:sources"].prf(),
            "cases": tallies["tpc:table:cases"].cases,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list misses on stderr")
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    started = time.perf_counter()
    cases = load_cases() + load_tpc()
    print(f"scoring {len(cases)} cases", file=sys.stderr)
    figures = score(cases, args.failures)
    figures["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
