"""The SQL dialect registry: every backend complete, every source URL mapped, plugins found."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect

from sounding.connectors.registry import default_registry
from sounding.connectors.sql import FACTORY as SQL_FACTORY
from sounding.connectors.sql_backend import backend_for
from sounding.domain.assets import DiscoveredObject
from sounding.domain.dialects import (
    Dialect,
    ProfilingSql,
    dialect_for,
    register_dialect,
    registered_dialects,
    unregister_dialect,
)
from sounding.domain.dialects.sqlite import SQLITE
from sounding.domain.profiling import SamplePolicy
from sounding.domain.quality import QueryTarget, validate_rule
from sounding.errors import InvalidInputError, UnsupportedSourceError
from sounding.features.quality import checks as quality_sql
from sounding.lineage.dbt import adapter_dialect
from sounding.lineage.dialects import dialect_spec
from sounding.services.lineage import dialect_of
from sounding.ui.sources import kind_form
from tests.connectors.helpers import open_source

DOCS = Path(__file__).resolve().parents[2] / "docs" / "connectors.md"
AWKWARD = 'we"ird `name` [x] 100%'


def _documented_urls() -> list[str]:
    """Every example URL in the table of connectors in docs/connectors.md."""
    table = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    urls = [u for line in table for u in re.findall(r"`([a-z][a-z0-9+]*://[^`]*)`", line)]
    assert len(urls) >= 8, "the connectors table lists fewer URLs than expected"
    return [u if u.split("://", 1)[1] else u + "u@h/db" for u in urls]


OPTIONAL = frozenset(
    {
        # capabilities a backend may lack: None means the profiler's fallback
        "quantile", "approx_quantile", "approx_distinct", "value_counts",
        # None or "" says something: not through SQLAlchemy, no port, no such statement,
        # no regex flags, OpenLineage calls it by its name
        "driver", "connector", "default_port", "read_only", "snapshot", "regex_flags",
        "openlineage",
    }
)  # fmt: skip


@pytest.mark.parametrize("dialect", registered_dialects(), ids=lambda d: d.name)
def test_every_registered_dialect_is_complete(dialect: Dialect) -> None:
    for record in (dialect, dialect.profiling):
        for f in dataclasses.fields(record):
            value = getattr(record, f.name)
            if f.name in OPTIONAL:
                continue
            assert value is not None and value != "", f"{dialect.name}.{f.name} is not set"
    assert dialect.schemes and dialect.schemes[0] == dialect.name
    assert dialect.examples, f"{dialect.name}.examples: no example URL for forms and messages"
    for example in dialect.examples:  # each example is a URL of this backend a connector takes
        assert dialect_for(example) is dialect, example
        assert default_registry().factory_for(example.replace("/absolute/", "/")) is not None
    assert (dialect.driver is None) == (dialect.connector is None)  # SQLAlchemy: both or neither
    for template in (dialect.profiling.length, dialect.profiling.epoch):
        assert "{}" in template
    assert "{column}" in dialect.regex and "{pattern}" in dialect.regex
    # sqlglot knows the dialect, and so does lineage parsing (which uses the same name)
    assert SqlglotDialect.get_or_raise(dialect.sqlglot) is not None
    assert dialect_spec(dialect.sqlglot).sqlglot


@pytest.mark.parametrize("dialect", registered_dialects(), ids=lambda d: d.name)
def test_quoting_and_literals_round_trip_through_the_dialects_own_parser(
    dialect: Dialect,
) -> None:
    text = AWKWARD + " it's a\\b"
    sql = f"SELECT {dialect.quote(AWKWARD)} FROM t WHERE x = {dialect.literal(text)}"
    tree = sqlglot.parse_one(sql, read=dialect.sqlglot)
    assert tree.selects[0].name == AWKWARD
    literal = tree.find(exp.Literal)
    assert literal is not None and literal.this == text


@pytest.mark.parametrize("url", _documented_urls())
def test_every_documented_source_url_has_a_connector_and_a_dialect(url: str) -> None:
    factory = default_registry().factory_for(url) if "://" in url else None
    assert factory is not None and factory.accepts(url)
    found = dialect_for(url)
    assert found is not None, f"no SQL dialect for {url}"
    assert url.split("://", 1)[0].split("+", 1)[0] in found.schemes


@pytest.mark.parametrize(
    "dialect", [d for d in registered_dialects() if d.driver], ids=lambda d: d.name
)
def test_every_sqlalchemy_scheme_is_taken_by_the_sql_connector(dialect: Dialect) -> None:
    # the hooks it names (catalog, engine, sampling): its own module's, or a built-in's it
    # speaks the protocol and catalog of (a backend made from PostgreSQL's record, say)
    hooks = backend_for(dialect)
    assert hooks.dialect.connector == dialect.connector
    for scheme in dialect.schemes:
        url = f"{scheme}:///x.db" if dialect.local_file else f"{scheme}://u@h/db"
        assert SQL_FACTORY.accepts(url)
        assert default_registry().factory_for(url).kind == "sql"


def test_lookup_by_url_scheme_backend_and_name() -> None:
    pg = dialect_for("postgresql+psycopg://u:pw@h:5432/db")
    assert pg is not None and pg.name == "postgresql"
    assert dialect_for("postgres") is pg and dialect_for("POSTGRESQL") is pg
    maria = dialect_for("mariadb://u@h/db")
    assert maria is not None and maria.name == "mysql"
    assert dialect_for("file:///data") is dialect_for("duckdb")
    assert dialect_for("http://h/x") is None and dialect_for("") is None


TOY = Dialect(
    name="toysql",
    title="ToySQL",
    schemes=("toysql",),
    sqlglot="sqlite",
    driver="sqlite+pysqlite",  # a SQLite file under another name: enough to go end to end
    drivers=frozenset({""}),
    regex="regexp({pattern}, {column})",
    local_file=True,
    connector="sounding.connectors.sql_sqlite:BACKEND",  # its catalog, engine and sampling
    # lengths in bytes of UTF-16, say: a spelling of its own that a profile shows
    profiling=ProfilingSql(float_type="REAL", length="(2 * length({}))", epoch="julianday({})"),
    examples=("toysql:////absolute/path/toy.db",),
)


@pytest.fixture
def toy() -> Iterator[Dialect]:
    register_dialect(TOY)
    yield TOY
    unregister_dialect(TOY.name)


def test_a_dialect_registered_later_is_picked_up_everywhere(toy: Dialect, tmp_path: Path) -> None:
    db = tmp_path / "toy.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE codes (code TEXT)")
        conn.executemany("INSERT INTO codes VALUES (?)", [("A1",), ("b2",), ("C3",)])
    url = f"toysql:///{db}"
    assert dialect_for(url) is toy
    assert dialect_of({"url_redacted": url}) == "sqlite"  # lineage parses it as its sqlglot
    rule = validate_rule({"kind": "regex", "column": "code", "pattern": "^[A-Z]"})
    with open_source(url) as source:
        assert source.kind == "sql"
        (ref,) = source.list_objects()
        target = source.quality_target(ref)  # type: ignore[attr-defined]
        assert target.dialect == "toysql"
        plan = quality_sql.aggregate_query(target, [rule])
        assert "regexp('^[A-Z]', \"code\")" in plan.sql  # the toy's spelling, not SQLite's
        _, rows = source.run_quality_query(plan.sql)  # type: ignore[attr-defined]
        (described,) = source.describe([ref])
        assert isinstance(described, DiscoveredObject)
        profile = source.profile(ref, described.columns, SamplePolicy())  # type: ignore[attr-defined]
    assert rows == [(3, 1)]  # three rows, one ("b2") failing
    assert profile.row_count == 3 and profile.columns[0].max_length == 4  # the toy's length


def test_a_dialect_registered_later_is_offered_in_forms_and_messages(
    toy: Dialect, tmp_path: Path
) -> None:
    """Its title and example URL where users pick a backend or typed a wrong URL, and its
    sqlglot dialect for a dbt project on it: no list to edit outside its record."""
    form = kind_form("sql")
    assert "ToySQL" in form.label and "toysql:////absolute/path/toy.db" in form.examples
    assert "PostgreSQL" in form.label  # the built-ins stay
    with pytest.raises(UnsupportedSourceError) as wrong:
        default_registry().factory_for("nosuchdb://h/x")
    assert "toysql:////absolute/path/toy.db" in wrong.value.message
    with pytest.raises(UnsupportedSourceError) as malformed:
        SQL_FACTORY.check_url("toysql://h:port/x")
    assert "toysql:////absolute/path/toy.db" in malformed.value.message
    with pytest.raises(InvalidInputError, match="ToySQL file not found"):
        SQL_FACTORY.resolve_url(f"toysql:///{tmp_path / 'missing.db'}")
    assert adapter_dialect("toysql") == "sqlite"  # dbt's adapter type named like the backend
    assert adapter_dialect("snowflake") == "snowflake" and adapter_dialect("") == "ansi"
    for dbt_adapter, sqlglot_name in [("postgres", "postgres"), ("duckdb", "duckdb"),
                                      ("mysql", "mysql"), ("sqlite", "sqlite")]:  # fmt: skip
        assert adapter_dialect(dbt_adapter) == sqlglot_name  # the built-ins' records


def test_a_backend_nobody_registered_gets_standard_sql() -> None:
    rule = validate_rule({"kind": "regex", "column": "c", "pattern": "x"})
    plan = quality_sql.aggregate_query(QueryTarget("oracle", '"T"'), [rule])
    assert "\"c\" REGEXP 'x'" in plan.sql
    assert dialect_of({"url_redacted": "oracle://u@h/db"}) == "ansi"


def test_a_taken_name_cannot_be_registered_twice(toy: Dialect) -> None:
    with pytest.raises(ValueError, match="toysql"):
        register_dialect(toy)
    with pytest.raises(ValueError, match="sqlite"):
        register_dialect(dataclasses.replace(SQLITE, name="sqlite2"))


@pytest.fixture
def wire_compatible() -> Iterator[Dialect]:
    """A wire-compatible engine (one speaking PostgreSQL's protocol and catalog): one record
    copied from the built-in's, with its own names, port and example."""
    from sounding.domain.dialects.postgresql import POSTGRESQL

    copy = dataclasses.replace(
        POSTGRESQL,
        name="cockroachdb",
        title="CockroachDB",
        schemes=("cockroachdb",),
        default_port=26257,
        openlineage="cockroachdb",
        examples=("cockroachdb://user@host:26257/dbname",),
    )
    register_dialect(copy)
    yield copy
    unregister_dialect(copy.name)


def test_a_backend_made_from_a_builtins_record_passes_the_same_checks(
    wire_compatible: Dialect,
) -> None:
    test_every_registered_dialect_is_complete(wire_compatible)
    test_every_sqlalchemy_scheme_is_taken_by_the_sql_connector(wire_compatible)
    assert "CockroachDB" in kind_form("sql").label
    assert dialect_of({"url_redacted": "cockroachdb://u@h/db"}) == "postgres"


@pytest.mark.postgres
def test_a_backend_made_from_a_builtins_record_reads_a_real_server(
    wire_compatible: Dialect, postgres_url: str
) -> None:
    """Through its own scheme, on a PostgreSQL server: discovered, profiled, quality-checked
    with the record's name on its targets."""
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE codes (code text)")
        conn.exec_driver_sql("INSERT INTO codes VALUES ('A1'), ('b2'), ('C3')")
    engine.dispose()
    url = "cockroachdb://" + postgres_url.split("://", 1)[1]
    rule = validate_rule({"kind": "regex", "column": "code", "pattern": "^[A-Z]"})
    with open_source(url) as source:
        (ref,) = source.list_objects()
        (described,) = source.describe([ref])
        assert isinstance(described, DiscoveredObject)
        profile = source.profile(ref, described.columns, SamplePolicy())  # type: ignore[attr-defined]
        target = source.quality_target(ref)  # type: ignore[attr-defined]
        _, rows = source.run_quality_query(quality_sql.aggregate_query(target, [rule]).sql)  # type: ignore[attr-defined]
    assert ref.path[-2:] == ("public", "codes") and target.dialect == "cockroachdb"
    assert profile.row_count == 3 and rows == [(3, 1)]


def test_sqlite_regexp_searches_like_postgres_tilde() -> None:
    """SQLite's REGEXP function: ``re.search`` semantics, NULL in, NULL out; a number is
    matched as its text; a pattern that does not compile is an error, not a cached answer."""
    import re

    import pytest

    from sounding.connectors.sql_sqlite import sqlite_regexp

    assert sqlite_regexp(r"b+", "abbbc") is True
    assert sqlite_regexp(r"^b", "abc") is False
    assert sqlite_regexp(None, "abc") is None and sqlite_regexp("a", None) is None
    assert sqlite_regexp(r"^\d{3}$", 123) is True
    for _ in range(2):
        with pytest.raises(re.error):
            sqlite_regexp("(", "x")
