"""Classification accuracy and speed against other projects' test data (corpora README, §2-3).

* Column level: every ``pii/*columns*.jsonl`` file. Peer labels are mapped to ours with
  ``bench/classification_label_map.yaml``; our top label is compared with the mapped one.
  Per-label precision/recall/F1 and macro-F1 over the labels we support from values. Labels we
  detect only with a telling column name (``needs_name``) are reported apart when the corpus
  name is uninformative; unsupported peer labels go to their own bucket. Hard negatives: a
  false positive is any of our labels equal to ``hard_negative_for`` (mapped).
* Text: presidio_recognizer_text_cases.jsonl, each expected span found (overlap, same label),
  and no span of the label when ``expected_count`` is 0.
* Validators: presidio_validator_cases.jsonl (true/false expectations only).
* piicatcher column names, values and tables; the helper-labelled sample databases and the
  FakeNameGenerator file (sanity checks).
* Kinds (``kinds`` section): tests/golden/classification_kinds.jsonl, Sounding's own golden
  columns for postal codes, street addresses and person names from values alone, SWIFT/BIC
  look-alikes and e-mail addresses inside text (issue 17). Per kind: precision/recall/F1 of
  the kind's labels (a column's best label among the kind's labels: upper-case surnames
  among the BIC negatives may well be person names) and the share of negative columns that
  got the kind's label; macro-F1 over the labels.
* Throughput: values per second through ``classify_column`` on one core, over generated
  columns of 10,000 values each (faker, fixed seed).

    .venv/bin/python bench/classification_eval.py [--failures] [--cpu-time]
    PYTHONPATH=/path/to/older/checkout/src .venv/bin/python bench/classification_eval.py

With PYTHONPATH set, the code under it is measured (with this checkout's cases and scoring),
so the same run can give before and after figures.

Prints one JSON line on stdout; progress and, with --failures, every miss go to stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):  # set: measure that tree (before/after figures)
    sys.path.insert(0, str(ROOT / "src"))

from sounding.scanning.classification import (  # noqa: E402
    builtin_ruleset,
    classify_column,
    find_entities,
    match_value,
)
from sounding.testing.corpora import corpora_dir  # noqa: E402

CORPORA = corpora_dir(ROOT)
PII = CORPORA / "pii"
MAP = yaml.safe_load((ROOT / "bench" / "classification_label_map.yaml").read_text())
FAILURES: list[str] = []


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def vocabulary(path: Path) -> str:
    return "datahub" if "datahub" in path.name else "presidio"


def mappable(vocab: str) -> set[str]:
    """Our labels that have an equivalent in the peer vocabulary; others mean "none" there."""
    return {label for e in MAP[vocab].values() if isinstance(e, dict) for label in e["labels"]}


def top_label(results: list[Any], vocab: str) -> str | None:
    known = mappable(vocab)
    return next((r.label for r in results if r.label in known), None)


def gold(vocab: str, peer: str | None) -> tuple[str, list[str], bool]:
    """(kind, labels, needs_name); kind is none, unsupported or label."""
    table = MAP[vocab]
    if peer is None or peer in table.get("none", []):
        return "none", [], False
    entry = table.get(peer.split(" (")[0])
    if entry is None:
        return "unsupported", [], False
    return "label", list(entry["labels"]), bool(entry.get("needs_name"))


class Scores:
    def __init__(self) -> None:
        self.tp: Counter[str] = Counter()
        self.fp: Counter[str] = Counter()
        self.fn: Counter[str] = Counter()
        self.classes: dict[str, str] = {}

    def klass(self, label: str) -> str:
        return self.classes.get(label, label)

    def add(self, expected: list[str], predicted: str | None) -> None:
        if expected:
            for label in expected:
                self.classes.setdefault(label, expected[0])
        if expected and predicted in expected:
            self.tp[expected[0]] += 1
            return
        if expected:
            self.fn[expected[0]] += 1
        if predicted is not None:
            self.fp[self.klass(predicted)] += 1

    def report(self) -> tuple[float, dict[str, dict[str, float]]]:
        per: dict[str, dict[str, float]] = {}
        for label in sorted(set(self.tp) | set(self.fp) | set(self.fn)):
            tp, fp, fn = self.tp[label], self.fp[label], self.fn[label]
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            per[label] = {"p": round(p, 3), "r": round(r, 3), "f1": round(f1, 3), "n": tp + fn}
        macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
        return round(macro, 4), per


def score_columns() -> dict[str, Any]:
    main, with_named = Scores(), Scores()
    needs_name: Counter[str] = Counter()
    unsupported: Counter[str] = Counter()
    hard_total = hard_fp = hard_any = 0
    files = sorted(PII.glob("*columns*.jsonl"))
    for path in files:
        vocab = vocabulary(path)
        for rec in jsonl(path):
            name = rec.get("column_name") or ""
            results = classify_column(name, rec.get("data_type"), rec.get("sample_values") or [])
            top = top_label(results, vocab)
            labels = {r.label for r in results}
            kind, expected, needs = gold(vocab, rec.get("expected_label"))
            if rec.get("hard_negative_for"):
                hkind, hlabels, _ = gold(vocab, rec["hard_negative_for"])
                if hkind == "label":
                    hard_total += 1
                    hard_any += bool(labels)
                    if labels & set(hlabels):
                        hard_fp += 1
                        FAILURES.append(f"hard-negative FP {rec['id']}: {sorted(labels)}")
            if kind == "unsupported":
                unsupported[f"{rec['expected_label']}->{top}"] += 1
                continue
            with_named.add(expected, top)
            if needs and rec.get("name_is_uninformative"):
                needs_name["found" if top in expected else "missed"] += 1
                if top is not None and top not in expected:
                    main.add([], top)
                continue
            main.add(expected, top)
            if top not in (expected or [None]):
                FAILURES.append(f"column {rec['id']} {name!r}: expected {expected} got {top}")
    macro, per = main.report()
    macro_all, _ = with_named.report()
    return {
        "files": [p.name for p in files],
        "macro_f1": macro,
        "macro_f1_incl_needs_name": macro_all,
        "per_label": per,
        "needs_name_columns": dict(needs_name),
        "unsupported_columns": sum(unsupported.values()),
        "hard_negatives": hard_total,
        "hard_negative_fp_rate": round(hard_fp / hard_total, 4) if hard_total else 0.0,
        "hard_negative_any_label_rate": round(hard_any / hard_total, 4) if hard_total else 0.0,
    }


def _overlaps(span: dict[str, Any], found: list[Any]) -> bool:
    return any(f.start < span["end"] and span["start"] < f.end for f in found)


def score_text() -> dict[str, Any]:
    stats: dict[str, Counter[str]] = {"value": Counter(), "needs_name": Counter()}
    ruleset = builtin_ruleset()
    started = time.perf_counter()
    cases = jsonl(PII / "presidio_recognizer_text_cases.jsonl")
    for rec in cases:
        kind, expected, needs = gold("presidio", rec["entity_type"])
        if kind != "label":
            continue
        bucket = stats["needs_name" if needs else "value"]
        found = [s for s in find_entities(rec["text"], ruleset) if s.label in expected]
        if rec["expected_count"] == 0:
            bucket["negatives"] += 1
            bucket["negatives_clean"] += not found
            if found:
                FAILURES.append(f"text FP {rec['id']}: {[s.text for s in found]}")
            continue
        spans = rec["expected_spans"]
        if spans is None:
            bucket["spans"] += rec["expected_count"]
            bucket["found"] += min(len(found), rec["expected_count"])
            continue
        for span in spans:
            bucket["spans"] += 1
            hit = _overlaps(span, found)
            bucket["found"] += hit
            if not hit and not needs:
                FAILURES.append(f"text miss {rec['id']}: {span['value']!r} in {rec['text'][:60]!r}")
    elapsed = time.perf_counter() - started

    def rate(c: Counter[str], a: str, b: str) -> float:
        return round(c[a] / c[b], 4) if c[b] else 0.0

    v, n = stats["value"], stats["needs_name"]
    return {
        "text_span_recall": rate(v, "found", "spans"),
        "text_negative_clean_rate": rate(v, "negatives_clean", "negatives"),
        "text_spans": v["spans"],
        "text_needs_context_span_recall": rate(n, "found", "spans"),
        "text_needs_context_negative_clean_rate": rate(n, "negatives_clean", "negatives"),
        "texts_per_s": round(len(cases) / elapsed),
    }


def score_validators() -> dict[str, Any]:
    right = total = 0
    for rec in jsonl(PII / "presidio_validator_cases.jsonl"):
        kind, expected, _ = gold("presidio", rec["entity_type"])
        if kind != "label" or rec["expected_validate_result"] is None:
            continue
        total += 1
        valid = any(m.label in expected and m.score >= 0.5 for m in match_value(rec["value"]))
        right += valid == rec["expected_validate_result"]
        if valid != rec["expected_validate_result"]:
            FAILURES.append(f"validator {rec['id']}: {rec['value']!r} -> {valid}")
    return {"validator_accuracy": round(right / total, 4), "validator_cases": total}


def score_piicatcher() -> dict[str, Any]:
    out: dict[str, Any] = {}
    ok = n = 0
    for rec in jsonl(PII / "piicatcher_column_names.jsonl"):
        _, expected, _ = gold("piicatcher", rec["expected_label"])
        results = classify_column(rec["column_name"], None, [])
        n += 1
        ok += top_label(results, "piicatcher") in expected
    out["piicatcher_names_accuracy"] = round(ok / n, 4)
    ok = n = 0
    for rec in jsonl(PII / "piicatcher_values.jsonl"):
        if rec.get("skipped_upstream"):
            continue
        _, expected, _ = gold("piicatcher", rec["expected_label"])
        labels = {m.label for m in match_value(rec["value"])}
        labels |= {s.label for s in find_entities(rec["value"], min_score=0.2)}
        n += 1
        ok += bool(labels & set(expected))
    out["piicatcher_values_accuracy"] = round(ok / n, 4)
    ok = n = 0
    for rec in jsonl(PII / "piicatcher_tables.jsonl"):
        if not rec.get("label_asserted_upstream"):
            continue
        kind, expected, _ = gold("piicatcher", rec["expected_label"])
        results = classify_column(rec["column_name"], None, rec["sample_values"])
        top = top_label(results, "piicatcher")
        n += 1
        ok += top in expected if kind == "label" else top is None
    out["piicatcher_tables_accuracy"] = round(ok / n, 4)
    return out


def score_helper_sets() -> dict[str, Any]:
    ok = n = fp = negatives = 0
    dbs = CORPORA / "sample_dbs"
    for rec in jsonl(dbs / "pii_columns_HELPER_ASSIGNED.jsonl"):
        with sqlite3.connect(dbs / f"{rec['db']}.sqlite") as conn:
            table, column = rec["table"].replace('"', ""), rec["column"].replace('"', "")
            values = [r[0] for r in conn.execute(f'SELECT "{column}" FROM "{table}" LIMIT 2000')]
            types = {r[1]: r[2] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        results = classify_column(column, types.get(column), values)
        top = results[0].label if results else None
        kind, expected, _ = gold("helper", (rec["label"] or "").split(" (")[0] or None)
        if kind == "none":
            negatives += 1
            fp += top is not None
            if top is not None:
                FAILURES.append(f"sample db FP {rec['db']}.{table}.{column}: {top}")
        elif kind == "label" and values and any(str(v).strip() for v in values):
            n += 1
            ok += top in expected
            if top not in expected:
                FAILURES.append(f"sample db miss {rec['db']}.{table}.{column}: {top}")
    fake_ok = fake_n = 0
    labels = json.loads(
        (PII / "presidio_research_FakeNameGenerator_header_labels_HELPER_ASSIGNED.json").read_text()
    )
    with (PII / "presidio_research_FakeNameGenerator.com_100.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    for header, peer in labels["labels"].items():
        kind, expected, _ = gold("helper", peer.split(" (")[0] if peer else None)
        results = classify_column(header, None, [r[header] for r in rows])
        top = results[0].label if results else None
        if kind == "unsupported":
            continue
        fake_n += 1
        fake_ok += top in expected if kind == "label" else top is None
        if (top not in expected) if kind == "label" else top is not None:
            FAILURES.append(f"fakename {header}: expected {expected} got {top}")
    return {
        "sample_db_accuracy": round(ok / n, 4),
        "sample_db_fp_rate": round(fp / negatives, 4),
        "fakename_accuracy": round(fake_ok / fake_n, 4),
    }


KINDS = ROOT / "tests" / "golden" / "classification_kinds.jsonl"
KIND_LABELS = {
    "postal": {"PII.PostalCode"},
    "address": {"PII.StreetAddress"},
    "name": {"PII.PersonName"},
    "bic": {"Finance.SwiftBic"},
    "email": {"PII.Email", "PII.EmailInText"},
}


def score_kinds() -> dict[str, Any]:
    if not KINDS.is_file():
        return {}
    overall = Scores()
    per_kind: dict[str, Any] = {}
    negatives = negative_fp = 0
    for kind, kind_labels in KIND_LABELS.items():
        scores = Scores()
        neg = fp = 0
        for rec in jsonl(KINDS):
            if rec["kind"] != kind:
                continue
            results = classify_column(rec["column_name"], None, rec["sample_values"])
            top = next((r.label for r in results if r.label in kind_labels), None)
            expected = [rec["expected"]] if rec["expected"] else []
            scores.add(expected, top)
            overall.add(expected, top)
            if not expected:
                neg += 1
                hit = bool({r.label for r in results} & kind_labels)
                fp += hit
                if hit:
                    FAILURES.append(f"kinds FP {rec['id']}: {[r.label for r in results]}")
            elif top != rec["expected"]:
                FAILURES.append(f"kinds miss {rec['id']}: expected {expected} got {top}")
        macro, per = scores.report()
        per_kind[kind] = {
            "macro_f1": macro,
            "per_label": per,
            "negatives": neg,
            "negative_fp_rate": round(fp / neg, 4) if neg else 0.0,
        }
        negatives += neg
        negative_fp += fp
    macro, _ = overall.report()
    return {
        "kinds": {
            "file": KINDS.name,
            "macro_f1": macro,
            "negatives": negatives,
            "negative_fp_rate": round(negative_fp / negatives, 4) if negatives else 0.0,
            **per_kind,
        }
    }


def throughput() -> dict[str, Any]:
    from faker import Faker

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    fake = Faker(["en_US", "de_DE", "fr_FR"])
    Faker.seed(7)
    n = 10_000
    makers = {
        "email": fake.email, "phone": fake.phone_number, "name": fake.name,
        "address": fake.street_address, "iban": fake.iban, "card": fake.credit_card_number,
        "ssn": fake.ssn, "ip": fake.ipv4, "dob": lambda: fake.date_of_birth().isoformat(),
        "city": fake.city, "notes": fake.sentence, "c_uuid": fake.uuid4, "c_url": fake.url,
        "c_price": lambda: round(fake.pyfloat(min_value=0, max_value=999), 2),
        "c_id": fake.pyint, "c_word": fake.word, "c_company": fake.company,
        "c_code": lambda: fake.bothify("??-####"), "c_date": lambda: fake.date(),
        "c_flag": lambda: fake.random_element(["Y", "N", None, None]),
    }  # fmt: skip
    columns = {name: [make() for _ in range(n)] for name, make in makers.items()}
    for i, name in enumerate(list(columns)[:6]):  # a few sparse columns, 90 % NULL
        columns[name] = [v if j % 10 == i % 10 else None for j, v in enumerate(columns[name])]
    total = sum(len(v) for v in columns.values())
    figures: dict[str, Any] = {}
    for label, cap in (("values_per_s", 1000), ("values_per_s_uncapped", None)):
        elapsed = _best(lambda cap=cap: [
            classify_column(name, None, values, max_distinct=cap)
            for name, values in columns.items()
        ])  # fmt: skip
        figures[label] = round(total / elapsed)
    # small columns: the FakeNameGenerator file, 45 columns of 100 values (per-column cost)
    with (PII / "presidio_research_FakeNameGenerator.com_100.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    small = {h: [r[h] for r in rows] for h in rows[0]}
    elapsed = _best(lambda: [
        classify_column(name, None, values) for _ in range(5) for name, values in small.items()
    ])  # fmt: skip
    figures["values_per_s_100_value_columns"] = round(5 * len(small) * len(rows) / elapsed)
    if CLOCK["repeat"] > 1:
        figures["throughput_clock"] = f"cpu time, best of {CLOCK['repeat']}"
    return {**figures, "throughput_columns": len(columns), "throughput_values": total}


CLOCK: dict[str, Any] = {"now": time.perf_counter, "repeat": 1}


def _best(run: Any) -> float:
    """Seconds one call of ``run`` takes: wall clock once, or with --cpu-time the CPU time of
    this process, best of several runs (figures on a machine other jobs load)."""
    times = []
    for _ in range(CLOCK["repeat"]):
        started = CLOCK["now"]()
        run()
        times.append(CLOCK["now"]() - started)
    return float(min(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list every miss on stderr")
    parser.add_argument(
        "--cpu-time", action="store_true", help="throughput in CPU time, best of 5 (busy machine)"
    )
    args = parser.parse_args()
    if args.cpu_time:
        CLOCK.update(now=time.process_time, repeat=5)
    builtin_ruleset()
    figures: dict[str, Any] = {}
    for step in (score_columns, score_text, score_validators, score_piicatcher,
                 score_helper_sets, score_kinds, throughput):  # fmt: skip
        log(f"classification_eval: {step.__name__} ...")
        figures.update(step())
    if args.failures:
        for line in FAILURES:
            log(line)
    print(json.dumps(figures, sort_keys=False))


if __name__ == "__main__":
    main()
