"""The connector contract: every built-in connector passes the same tests.

Each backend's builder (``backends.py``) makes the same fixture objects in its own DDL; the tests
below open them through the registry, as a scan does, and check what a user would see:
discovery, awkward names, a broken view, include/exclude patterns, that nothing is ever written,
a source that disappears mid-scan, profiling, sampling and the statement timeout.
A new connector adds a builder and a parameter here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sounding.connectors.base import Connector, Profiler, QualityRunner, SourceConfig
from sounding.connectors.profiling import Kind, column_kind
from sounding.connectors.registry import default_registry
from sounding.domain.assets import AssetType, DiscoveredObject, ObjectRef
from sounding.domain.profiling import SamplePolicy, TableProfile
from sounding.errors import ObjectScanError, SourceError, SourceTimeoutError
from tests.connectors.contract.backends import (
    AWKWARD,
    CUSTOMERS,
    ORDERS,
    TABLES,
    Backend,
    awkward_rows,
)
from tests.connectors.contract.servers import ALL, SERVER_FIXTURES, SERVERS, backends
from tests.connectors.helpers import discover


def _make(request: pytest.FixtureRequest, tmp_path: Path, scope: str = "") -> Iterator[Backend]:
    name = request.param
    fixture = f"{name}{scope}_url"
    server = request.getfixturevalue(fixture) if name in SERVER_FIXTURES else None
    yield from backends(tmp_path, name, server)


@pytest.fixture(params=ALL)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A builder of fresh sources, for tests that change or destroy them."""
    yield from _make(request, tmp_path)


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _make(request, tmp_path)


@pytest.fixture(scope="module", params=ALL)
def reading(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Backend, str]]:
    """One source per backend shared by the tests that only read it: (builder, URL)."""
    for made in _make(request, tmp_path_factory.mktemp(request.param), "_module"):
        yield made, made.create("shop")


def connect(url: str, name: str = "shop", **config: object) -> Connector:
    """Open a source the way the application does: through the registry."""
    return default_registry().open(SourceConfig(name=name, url=url, **config))  # type: ignore[arg-type]


def ref_of(backend: Backend, url: str, name: str) -> ObjectRef:
    view = backend.views and name in ("big_orders", "broken")
    kind = AssetType.DATASET if not backend.views else AssetType.VIEW if view else AssetType.TABLE
    return ObjectRef(kind, backend.path(url, name))


def described(
    backend: Backend, url: str, source: Connector, *names: str
) -> dict[str, DiscoveredObject]:
    found, failed = discover(source, [ref_of(backend, url, n) for n in names])
    assert failed == {}
    return {n: found[backend.path(url, n)] for n in names}


def profiler(source: Connector) -> Profiler:
    assert isinstance(source, Profiler)
    return source


def profile(source: Connector, obj: DiscoveredObject, policy: str = "full") -> TableProfile:
    return profiler(source).profile(obj.ref, obj.columns, SamplePolicy.parse(policy))


def runner(source: Connector) -> QualityRunner:
    assert isinstance(source, QualityRunner)
    return source


def count(source: Connector, ref: ObjectRef) -> int:
    """Rows of one object, counted through the connector's own quality query path."""
    relation = runner(source).quality_target(ref).relation
    _, rows = runner(source).run_quality_query(f"SELECT count(*) FROM {relation}")
    return int(rows[0][0])


# --- discovery -------------------------------------------------------------------------------


def test_discovery_lists_tables_views_columns_and_keys(reading: tuple[Backend, str]) -> None:
    backend, shop = reading
    with connect(shop) as source:
        refs = source.list_objects()
        found, failed = discover(source, refs)

    names = [*TABLES, "broken"] + (["big_orders"] if backend.views else [])
    assert sorted(refs, key=lambda r: r.path) == refs  # a stable order
    assert set(refs) == {ref_of(backend, shop, n) for n in names}
    if not backend.views:
        assert not source.capabilities.views
    broken = backend.path(shop, "broken")
    assert set(failed) == ({broken} if backend.broken_fails_describe else set())

    customers = found[backend.path(shop, "customers")]
    assert [c.name for c in customers.columns] == ["id", "name", "score"]
    assert [c.ordinal for c in customers.columns] == [1, 2, 3]
    assert [column_kind(c.data_type) for c in customers.columns] == [
        Kind.INTEGER,
        Kind.TEXT,
        Kind.NUMBER,
    ]
    assert customers.columns[2].nullable
    if customers.row_count_exact:
        assert customers.row_count == len(CUSTOMERS)
    orders = found[backend.path(shop, "orders")]
    assert [c.name for c in orders.columns] == ["id", "customer_id", "amount"]
    if backend.not_null:
        assert [c.nullable for c in customers.columns] == [False, False, True]
    if backend.keys:
        assert customers.primary_key == ("id",)
        assert [c.is_primary_key for c in customers.columns] == [True, False, False]
        assert [(k.columns, k.referred_path, k.referred_columns) for k in orders.foreign_keys] == [
            (("customer_id",), backend.path(shop, "customers"), ("id",))
        ]
        assert source.capabilities.foreign_keys
    if backend.views:
        view = found[backend.path(shop, "big_orders")]
        assert view.ref.type is AssetType.VIEW
        assert [c.name for c in view.columns] == ["id", "amount"]
        assert view.view_sql and "100" in view.view_sql
        assert view.row_count is None


def test_awkward_identifiers_round_trip(reading: tuple[Backend, str]) -> None:
    """Quotes, spaces, dots, mixed case, unicode, reserved words, ``%``, ``:`` and glob
    characters in container, table and column names: listed, described, profiled, sampled
    and queried as written, each reading its own object."""
    backend, shop = reading
    with connect(shop) as source:
        listed = {r.path for r in source.list_objects()}
        found = described(backend, shop, source, *AWKWARD)
        for name in AWKWARD:
            assert backend.path(shop, name) in listed, name
            obj = found[name]
            assert [c.name for c in obj.columns] == [name, "k"], name
            values = sorted(v for v, _ in awkward_rows(name))
            figures = profile(source, obj)
            assert figures.row_count == 2, name
            column = figures.columns[0]
            assert (column.name, column.distinct_count, column.min, column.max) == (
                name,
                2,
                values[0],
                values[1],
            )
            sample = profiler(source).sample(obj.ref, [name, "k"])
            assert sorted(sample[name]) == values, name  # str: never a neighbour's rows
            assert sorted(sample["k"]) == [1, 2], name  # type: ignore[type-var]
            assert count(source, obj.ref) == 2, name
        if backend.keys:
            assert found['quo"te'].primary_key == ("k",)
            assert [(k.columns, k.referred_path) for k in found['quo"te'].foreign_keys] == [
                (("k",), backend.path(shop, "Mixed Case"))
            ]


def test_broken_view_fails_alone(reading: tuple[Backend, str]) -> None:
    """A view whose table was dropped is one failure, with the engine's reason; every other
    object of the batch is described and still profiles."""
    backend, shop = reading
    names = ["customers", "broken", "orders"]
    with connect(shop) as source:
        refs = [ref_of(backend, shop, n) for n in names]
        found, failed = discover(source, refs)
        broken = backend.path(shop, "broken")
        if backend.broken_fails_describe:
            assert list(failed) == [broken]
            assert backend.broken_error in failed[broken].error
            assert failed[broken].error_type == "ObjectScanError"
        else:  # described from the catalog: it fails when read
            assert failed == {}
            with pytest.raises(ObjectScanError) as error:
                profile(source, found[broken])
            assert backend.broken_error in error.value.message
            assert "source 'shop'" in error.value.message
        for name in ("customers", "orders"):
            assert profile(source, found[backend.path(shop, name)]).row_count > 0


# --- include / exclude -----------------------------------------------------------------------


def test_include_and_exclude_patterns(reading: tuple[Backend, str]) -> None:
    backend, shop = reading

    def listed(**patterns: str) -> tuple[list[str], list[tuple[str, str]]]:
        config = SourceConfig(name="shop", url=shop, **patterns)  # type: ignore[arg-type]
        with default_registry().open(config) as source:
            refs = source.list_objects()
        return [r.path[-1] for r in refs], config.patterns.warnings

    def as_listed(*names: str) -> list[str]:
        return sorted(backend.path(shop, n)[-1] for n in names)

    odd = re.escape(backend.qualified(shop, 'quo"te'))
    assert listed(include=f"{odd}$") == (as_listed('quo"te'), [])
    # patterns see the container too, and names unquoted as written
    everything, warnings = listed(include="^" + re.escape(backend.container(shop)))
    assert len(everything) == len(TABLES) + 1 + backend.views and warnings == []
    kept, warnings = listed(include=r"(customers|orders)\b", exclude="orders")
    assert (kept, warnings) == (as_listed("customers"), [])
    # a pattern that matches nothing: nothing listed, and a warning naming close names
    kept, warnings = listed(include="custmers")
    assert kept == []
    assert [w[0] for w in warnings] == ["include"]
    assert "'custmers' matched none of" in warnings[0][1]
    assert backend.qualified(shop, "customers") in warnings[0][1]
    assert listed(exclude=".") == ([], [])  # everything excluded, as asked: no warning
    kept, warnings = listed(include="customers", exclude="no_such_thing")
    assert kept == as_listed("customers")
    assert [w[0] for w in warnings] == ["exclude"]


# --- read-only -------------------------------------------------------------------------------


def test_the_connection_never_writes(reading: tuple[Backend, str]) -> None:
    """A whole scan (discover, profile, sample, quality queries) changes nothing, and
    statements that would write through the connector's connection fail with our error."""
    backend, shop = reading
    before = backend.snapshot(shop)
    with connect(shop) as source:
        found, _ = discover(source)
        for path, obj in found.items():
            if path == backend.path(shop, "broken"):
                continue  # fails when read (PostgreSQL): tested above
            profile(source, obj, "50")
            profiler(source).sample(obj.ref, [c.name for c in obj.columns][:2])

        def relation(name: str) -> str:
            return runner(source).quality_target(ref_of(backend, shop, name)).relation

        for sql in backend.write_attempts(shop, relation):
            with pytest.raises(SourceError):
                runner(source).run_quality_query(sql)
        assert count(source, ref_of(backend, shop, "orders")) == len(ORDERS)
    assert backend.snapshot(shop) == before


def test_a_login_without_write_privileges_discovers_and_profiles(server: Backend) -> None:
    url = server.create("shop")
    reader = server.reader_url(url)
    with connect(url) as admin:
        expected, expected_failed = discover(admin)
    with connect(reader) as source:
        assert source.test()["warnings"] == []
        found, failed = discover(source)
        assert (set(found), set(failed)) == (set(expected), set(expected_failed))
        assert {p: o.columns for p, o in found.items()} == {
            p: o.columns for p, o in expected.items()
        }
        orders = found[server.path(url, "orders")]
        assert profile(source, orders, "50").sampled_rows == 50
        assert len(profiler(source).sample(orders.ref, ["customer_id"])["customer_id"]) == 5
        with pytest.raises(SourceError):
            runner(source).run_quality_query("CREATE TABLE intruder (x integer)")


# --- a source that disappears mid-scan -------------------------------------------------------


def test_an_object_dropped_after_discovery_fails_alone(backend: Backend) -> None:
    shop = backend.create("shop")
    with connect(shop) as source:
        found = described(backend, shop, source, "with space", "customers")
    backend.drop_object(shop, "with space")
    with connect(shop) as source:
        with pytest.raises(SourceError) as error:
            profile(source, found["with space"])
        assert "source 'shop'" in error.value.message
        assert profile(source, found["customers"]).row_count == len(CUSTOMERS)
        _, failed = discover(source, [found["with space"].ref])
        assert failed[backend.path(shop, "with space")].error_type == "NotFoundError"


def test_a_source_that_disappears_mid_scan_fails_clearly_and_alone(backend: Backend) -> None:
    gone_url, other_url = backend.create("gone"), backend.create("other")
    with connect(gone_url, name="gone") as gone, connect(other_url, name="other") as other:
        found = described(backend, gone_url, gone, "customers", "orders")
        others = described(backend, other_url, other, "customers")
        backend.destroy(gone_url)
        started = time.monotonic()
        for call in (
            lambda: profile(gone, found["customers"]),
            lambda: profiler(gone).sample(found["orders"].ref, ["amount"]),
            gone.list_objects,
        ):
            with pytest.raises(SourceError) as error:
                call()
            assert "source 'gone'" in error.value.message
        assert time.monotonic() - started < 10
        assert profile(other, others["customers"]).row_count == len(CUSTOMERS)


# --- profiling and sampling ------------------------------------------------------------------


def test_profiles_a_small_table(reading: tuple[Backend, str]) -> None:
    backend, shop = reading
    with connect(shop) as source:
        customers = described(backend, shop, source, "customers")["customers"]
        figures = profile(source, customers)
    assert (figures.row_count, figures.sampled_rows) == (5, 5)
    by_name = {c.name: c for c in figures.columns}
    assert [c.name for c in figures.columns] == ["id", "name", "score"]
    ident, name, score = by_name["id"], by_name["name"], by_name["score"]
    assert (ident.null_count, ident.distinct_count, ident.min, ident.max) == (0, 5, 1, 5)
    assert (name.null_count, name.distinct_count, name.min, name.max) == (0, 5, "Ada", "Ed")
    assert (name.min_length, name.max_length) == (2, 3)
    assert (score.null_count, score.distinct_count) == (2, 3)
    assert (float(score.min), float(score.max)) == (1.5, 3.0)
    assert score.mean == pytest.approx(7.0 / 3)


def test_sampling(reading: tuple[Backend, str]) -> None:
    backend, shop = reading
    with connect(shop) as source:
        orders = described(backend, shop, source, "orders")["orders"]
        full = profile(source, orders)
        capped = profile(source, orders, "50")
        percent = profile(source, orders, "25%")
        above = profile(source, orders, "500")
        values = profiler(source).sample(orders.ref, ["customer_id", "amount"], limit=3)
    (customer_id,) = [c for c in full.columns if c.name == "customer_id"]
    assert sorted((v["value"], v["count"]) for v in customer_id.top_values) == [
        (i, len(ORDERS) // 5) for i in range(1, 6)
    ]
    assert capped.sampled_rows == 50
    assert capped.row_count == len(ORDERS)
    assert 0 < percent.sampled_rows < len(ORDERS)
    assert above.sampled_rows == len(ORDERS)  # a cap above the row count reads everything
    assert len(values["customer_id"]) == 3 and set(values["customer_id"]) <= {1, 2, 3, 4, 5}
    assert len(set(values["amount"])) == 3


def test_statement_timeout_option(reading: tuple[Backend, str]) -> None:
    backend, shop = reading
    with connect(shop, statement_timeout=0.5) as source:
        started = time.monotonic()
        with pytest.raises(SourceTimeoutError) as error:
            runner(source).run_quality_query(backend.slow_sql)
        assert time.monotonic() - started < 4
        assert (
            "Source 'shop' did not answer within 0.5 s (statement timeout)" in error.value.message
        )
        assert error.value.details["answered"] is True  # the engine cancelled it
        # so the same connector goes on working
        assert count(source, ref_of(backend, shop, "customers")) == len(CUSTOMERS)
