"""Directories of data files: one dataset per file or per partitioned directory."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sounding.domain.assets import AssetType, ObjectRef
from sounding.errors import ConnectionFailedError
from tests.connectors.helpers import discover, open_source


def _copy(query: str, target: Path, options: str = "FORMAT parquet") -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"COPY ({query}) TO '{target}' ({options})")
    con.close()


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "my lake"
    root.mkdir()
    (root / "people.csv").write_text("id,name,born\n1,Ada,1815-12-10\n2,Alan,1912-06-23\n")
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "nested" / "deeper" / "scores.tsv").write_text("player\tscore\nann\t3.5\n")
    (root / "nested" / "clicks.ndjson").write_text('{"url": "/a", "n": 1}\n{"url": "/b", "n": 2}\n')
    _copy("SELECT range AS id, 'x' || range AS label FROM range(7)", root / "orders.parquet")
    # part files of one dataset
    _copy("SELECT range AS id FROM range(10)", root / "events" / "part-0001.parquet")
    _copy("SELECT range AS id FROM range(5)", root / "events" / "part-0002.parquet")
    (root / "events" / "_SUCCESS").write_text("")
    # Hive-style partitions
    _copy(
        "SELECT range AS id, 2023 + range % 2 AS year, range % 3 AS region FROM range(12)",
        root / "sales",
        "FORMAT parquet, PARTITION_BY (year, region)",
    )
    # files that are not one dataset stay separate
    (root / "reports").mkdir()
    (root / "reports" / "2024-01.csv").write_text("a\n1\n")
    (root / "reports" / "2024-02.csv").write_text("a\n2\n")
    (root / "broken.parquet").write_bytes(b"this is not parquet at all")
    (root / "README.txt").write_text("not data")
    (root / ".hidden.csv").write_text("a\n1\n")
    return root


def test_lists_files_and_partitioned_directories_as_datasets(lake: Path) -> None:
    with open_source(lake.as_uri(), name="lake") as source:
        assert source.container_types == ()
        refs = source.list_objects()
    assert refs == [
        ObjectRef(AssetType.DATASET, (path,))
        for path in [
            "broken.parquet",
            "events",
            "nested/clicks.ndjson",
            "nested/deeper/scores.tsv",
            "orders.parquet",
            "people.csv",
            "reports/2024-01.csv",
            "reports/2024-02.csv",
            "sales",
        ]
    ]


def test_describes_each_dataset_through_duckdb(lake: Path) -> None:
    with open_source(lake.as_uri(), name="lake") as source:
        found, failed = discover(source)

    people = found["people.csv",]
    assert [(c.name, c.data_type, c.ordinal) for c in people.columns] == [
        ("id", "BIGINT", 1),
        ("name", "VARCHAR", 2),
        ("born", "DATE", 3),
    ]
    assert (people.row_count, people.row_count_exact) == (2, True)
    assert people.size_bytes == (lake / "people.csv").stat().st_size
    assert people.properties == {"format": "csv", "files": 1, "path": str(lake / "people.csv")}

    scores = found["nested/deeper/scores.tsv",]
    assert [(c.name, c.data_type) for c in scores.columns] == [
        ("player", "VARCHAR"),
        ("score", "DOUBLE"),
    ]
    assert scores.properties["format"] == "tsv"

    clicks = found["nested/clicks.ndjson",]
    assert [(c.name, c.data_type) for c in clicks.columns] == [("url", "VARCHAR"), ("n", "BIGINT")]
    assert clicks.row_count == 2

    orders = found["orders.parquet",]
    assert [(c.name, c.data_type) for c in orders.columns] == [
        ("id", "BIGINT"),
        ("label", "VARCHAR"),
    ]
    assert orders.row_count == 7

    events = found["events",]
    assert events.row_count == 15
    assert events.properties == {"format": "parquet", "files": 2, "path": str(lake / "events")}
    assert events.size_bytes == sum(p.stat().st_size for p in (lake / "events").glob("*.parquet"))

    sales = found["sales",]
    assert sales.row_count == 12
    assert {c.name for c in sales.columns} == {"id", "year", "region"}
    assert sales.properties["partition_keys"] == ["year", "region"]
    assert sales.properties["files"] == len(list((lake / "sales").rglob("*.parquet")))

    # a malformed file is one failure; everything else is described
    assert list(failed) == [("broken.parquet",)]
    assert "broken.parquet" in failed["broken.parquet",].error
    assert len(found) == 8


def test_include_exclude_and_plain_directory_path(lake: Path) -> None:
    # patterns see names as written, unquoted: reports/2024-01.csv
    with open_source(str(lake), name="lake", include=r"\.csv", exclude="^reports/") as source:
        assert [r.path for r in source.list_objects()] == [("people.csv",)]


def test_refs_cannot_escape_the_directory(lake: Path) -> None:
    outside = lake.parent / "secret.csv"
    outside.write_text("password\nhunter2\n")
    refs = [ObjectRef(AssetType.DATASET, (p,)) for p in ("../secret.csv", str(outside))]
    with open_source(lake.as_uri()) as source:
        found, failed = discover(source, refs)
    assert found == {}
    assert {f.error_type for f in failed.values()} == {"NotFoundError"}


def test_quotes_in_file_names_are_safe(tmp_path: Path) -> None:
    (tmp_path / "it's; DROP.csv").write_text("a\n1\n")
    with open_source(tmp_path.as_uri()) as source:
        found, failed = discover(source)
    assert failed == {}
    assert found["it's; DROP.csv",].row_count == 1


def test_missing_directory_fails_to_connect(tmp_path: Path) -> None:
    with open_source((tmp_path / "nope").as_uri(), name="lake") as source:
        with pytest.raises(ConnectionFailedError, match="Failed to connect to source 'lake'"):
            source.test()
        with pytest.raises(ConnectionFailedError):
            source.list_objects()


def test_test_summarises_the_directory(lake: Path) -> None:
    with open_source(lake.as_uri()) as source:
        facts = source.test()
    assert facts["path"] == str(lake)
    assert facts["datasets"] == 9
    assert facts["formats"] == {"parquet": 4, "csv": 3, "ndjson": 1, "tsv": 1}
