"""parse_lineage on hand-written SQL: kinds, confidences, schemas, scripts, errors, dialects."""

from __future__ import annotations

from typing import Any

import pytest

from sounding.domain.lineage import ColumnEdge, TransformKind
from sounding.errors import InvalidInputError
from sounding.lineage.parse import dialects, parse_lineage

Edge = tuple[str | None, str, str, str]


def flows(sql: str, dialect: str = "ansi", **kwargs: Any) -> dict[Edge, ColumnEdge]:
    """Column edges by (source table, source column, target table, target column)."""
    result = parse_lineage(sql, dialect, **kwargs)
    assert not result.errors, result.errors
    return {
        (e.source_table, e.source_column, e.target_table, e.target_column): e
        for e in result.column_lineage
    }


def kinds(sql: str, dialect: str = "ansi", **kwargs: Any) -> dict[Edge, str]:
    return {key: edge.kind.value for key, edge in flows(sql, dialect, **kwargs).items()}


# -- the API ---------------------------------------------------------------------------------


def test_result_dict_has_the_documented_shape() -> None:
    result = parse_lineage('INSERT INTO Sales.Target SELECT "Id" FROM src').to_dict()
    assert set(result) == {"sources", "targets", "column_lineage", "errors"}
    assert result["sources"] == ["src"]
    assert result["targets"] == ["sales.target"]
    assert result["column_lineage"] == [
        {
            "source_table": "src",
            "source_column": "id",
            "target_table": "sales.target",
            "target_column": "id",
            "kind": "copy",
            "confidence": 0.8,
        }
    ]
    assert result["errors"] == []


def test_dialects_cover_the_required_ones() -> None:
    required = {"ansi", "postgres", "mysql", "sqlite", "snowflake", "bigquery", "tsql"}
    required |= {"sparksql", "hive", "redshift", "duckdb", "oracle"}
    assert required <= set(dialects())


def test_unknown_dialect_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="Unknown SQL dialect 'klingon'"):
        parse_lineage("SELECT 1", "klingon")


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgres", "INSERT INTO t SELECT a::int FROM s"),
        ("mysql", "INSERT INTO t SELECT `a` FROM `s`"),
        ("sqlite", "INSERT INTO t SELECT a FROM s"),
        ("snowflake", "INSERT INTO t SELECT a FROM s QUALIFY ROW_NUMBER() OVER (ORDER BY a) = 1"),
        ("bigquery", "INSERT INTO t SELECT a FROM `s`"),
        ("tsql", "INSERT INTO t SELECT TOP 10 [a] FROM [s]"),
        ("sparksql", "INSERT OVERWRITE TABLE t SELECT a FROM s"),
        ("hive", "INSERT INTO TABLE t SELECT a FROM s"),
        ("redshift", "INSERT INTO t SELECT a FROM s"),
        ("duckdb", "INSERT INTO t SELECT a FROM s"),
        ("oracle", "INSERT INTO t SELECT a FROM s WHERE ROWNUM < 10"),
    ],
)
def test_each_dialect_reads_its_syntax(dialect: str, sql: str) -> None:
    assert ("s", "a", "t", "a") in flows(sql, dialect)


# -- transformation kinds ----------------------------------------------------------------------


def test_kinds_copy_transform_aggregate_filter() -> None:
    sql = """
        INSERT INTO report
        SELECT c.region AS region, UPPER(c.name) AS name, SUM(o.amount) AS total
        FROM customers c JOIN orders o ON o.customer_id = c.id
        WHERE o.status = 'paid'
        GROUP BY c.region, UPPER(c.name)
    """
    found = kinds(sql)
    assert found[("customers", "region", "report", "region")] == "copy"
    assert found[("customers", "name", "report", "name")] == "transform"
    assert found[("orders", "amount", "report", "total")] == "aggregate"
    for target in ("region", "name", "total"):
        assert found[("orders", "status", "report", target)] == "filter"
        assert found[("orders", "customer_id", "report", target)] == "filter"
        assert found[("customers", "id", "report", target)] == "filter"


def test_kind_is_the_strongest_along_a_chain_of_ctes() -> None:
    sql = """
        WITH totals AS (SELECT k, SUM(v) AS s FROM src GROUP BY k),
             renamed AS (SELECT k AS key, s AS total FROM totals)
        INSERT INTO out SELECT key, total FROM renamed
    """
    found = kinds(sql)
    assert found[("src", "k", "out", "key")] == "copy"
    assert found[("src", "v", "out", "total")] == "aggregate"


def test_cast_and_case_are_transforms_and_their_conditions_count() -> None:
    found = kinds("INSERT INTO t SELECT CASE WHEN a > 0 THEN CAST(b AS INT) END AS x FROM s")
    assert found == {("s", "a", "t", "x"): "transform", ("s", "b", "t", "x"): "transform"}


def test_window_function_partition_and_order_shape_the_value() -> None:
    found = kinds("INSERT INTO t SELECT SUM(v) OVER (PARTITION BY p ORDER BY o) AS running FROM s")
    assert found == {
        ("s", "v", "t", "running"): "aggregate",
        ("s", "p", "t", "running"): "window",
        ("s", "o", "t", "running"): "window",
    }


def test_count_star_depends_on_the_whole_table() -> None:
    assert kinds("INSERT INTO t SELECT COUNT(*) AS n FROM s") == {("s", "*", "t", "n"): "aggregate"}


def test_a_constant_has_no_lineage() -> None:
    assert flows("INSERT INTO t SELECT 1 AS one, CURRENT_DATE AS today FROM s") == {}


# -- confidence --------------------------------------------------------------------------------


def test_confidence_is_full_with_a_schema_and_lower_without() -> None:
    sql = "INSERT INTO t SELECT a FROM s"
    assert flows(sql, schema={"s": ["a"]})[("s", "a", "t", "a")].confidence == 1.0
    guessed = flows(sql)[("s", "a", "t", "a")].confidence
    assert 0.5 < guessed < 1.0


def test_unqualified_column_over_two_unknown_tables_is_unresolved() -> None:
    edge = flows("INSERT INTO t SELECT a FROM s JOIN u ON s.id = u.id")[(None, "a", "t", "a")]
    assert edge.confidence < 0.5


def test_schema_ties_an_unqualified_column_to_its_table() -> None:
    found = flows(
        "INSERT INTO t SELECT a, b FROM s JOIN u ON s.id = u.id",
        schema={"s": ["id", "a"], "u": ["id", "b"]},
    )
    assert found[("s", "a", "t", "a")].confidence == 1.0
    assert found[("u", "b", "t", "b")].confidence == 1.0


# -- stars and schemas --------------------------------------------------------------------------


def test_star_is_expanded_from_the_schema() -> None:
    sql = "INSERT INTO db.t SELECT * FROM db.s"
    expanded = kinds(sql, schema={"db.s": ["a", "b"]})
    assert expanded == {("db.s", "a", "db.t", "a"): "copy", ("db.s", "b", "db.t", "b"): "copy"}
    assert kinds(sql) == {("db.s", "*", "db.t", "*"): "copy"}


def test_nested_schema_form_and_default_schema() -> None:
    schema = {"main": {"s": {"a": "INT", "b": "TEXT"}}}
    result = parse_lineage(
        "INSERT INTO main.t SELECT * FROM s", schema=schema, default_schema="main"
    )
    assert result.targets == ["t"]
    assert {(e.source_table, e.source_column) for e in result.column_lineage} == {
        ("s", "a"),
        ("s", "b"),
    }


def test_insert_without_column_list_maps_by_position_to_the_target_schema() -> None:
    found = kinds("INSERT INTO t SELECT x, y FROM s", schema={"t": ["first", "second"]})
    assert found == {("s", "x", "t", "first"): "copy", ("s", "y", "t", "second"): "copy"}


def test_star_except_replace_rename() -> None:
    found = kinds(
        "INSERT INTO t SELECT * EXCLUDE (c) RENAME (a AS z) FROM s",
        "snowflake",
        schema={"s": ["a", "b", "c"]},
    )
    assert found == {("s", "a", "t", "z"): "copy", ("s", "b", "t", "b"): "copy"}


# -- statements -------------------------------------------------------------------------------


def test_create_view_as_select_with_column_list() -> None:
    result = parse_lineage("CREATE OR REPLACE VIEW v (x, y) AS SELECT a, b + 1 FROM s")
    assert result.targets == ["v"]
    assert {(e.source_column, e.target_column, e.kind.value) for e in result.column_lineage} == {
        ("a", "x", "copy"),
        ("b", "y", "transform"),
    }


def test_merge_update_and_insert_branches() -> None:
    sql = """
        MERGE INTO tgt t USING src s ON t.id = s.id
        WHEN MATCHED AND s.deleted THEN DELETE
        WHEN MATCHED THEN UPDATE SET t.v = s.v
        WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v * 2)
    """
    found = kinds(sql)
    assert found[("src", "v", "tgt", "v")] == "copy"
    assert found[("src", "id", "tgt", "id")] == "copy"
    assert found[("src", "id", "tgt", "v")] == "filter"
    result = parse_lineage(sql)
    assert (result.sources, result.targets) == (["src"], ["tgt"])


def test_merge_star_actions_copy_columns_by_name() -> None:
    sql = """
        MERGE INTO t USING s ON t.id = s.id
        WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *
    """
    found = kinds(sql, "databricks", schema={"s": ["id", "v"], "t": ["id", "v"]})
    assert found[("s", "id", "t", "id")] == "copy"
    assert found[("s", "v", "t", "v")] == "copy"


def test_a_column_known_in_one_table_is_picked_over_unknown_ones_with_less_confidence() -> None:
    sql = "INSERT INTO t SELECT a FROM s JOIN u ON s.id = u.id"
    edge = flows(sql, schema={"s": ["id", "a"]})[("s", "a", "t", "a")]
    assert 0.5 < edge.confidence < 1.0


def test_update_from_writes_the_aliased_table() -> None:
    sql = "UPDATE t SET t.c = s.c FROM tab1 t JOIN tab2 s ON t.id = s.id"
    result = parse_lineage(sql, "tsql")
    assert (result.sources, result.targets) == (["tab2"], ["tab1"])
    assert kinds(sql, "tsql")[("tab2", "c", "tab1", "c")] == "copy"


def test_recursive_cte() -> None:
    sql = """
        WITH RECURSIVE chain AS (
            SELECT id, parent_id FROM nodes WHERE parent_id IS NULL
            UNION ALL
            SELECT n.id, n.parent_id FROM nodes n JOIN chain c ON n.parent_id = c.id
        )
        INSERT INTO tree SELECT id FROM chain
    """
    result = parse_lineage(sql, "postgres")
    assert (result.sources, result.targets) == (["nodes"], ["tree"])
    assert kinds(sql, "postgres")[("nodes", "id", "tree", "id")] == "copy"


def test_union_and_intersect_collect_every_branch() -> None:
    found = kinds(
        "INSERT INTO t SELECT a FROM s1 UNION SELECT b FROM s2 INTERSECT SELECT c FROM s3"
    )
    assert set(found) == {("s1", "a", "t", "a"), ("s2", "b", "t", "a"), ("s3", "c", "t", "a")}


def test_scalar_and_correlated_subqueries() -> None:
    sql = "INSERT INTO t SELECT (SELECT MAX(v) FROM w WHERE w.k = s.k) AS m FROM s"
    found = kinds(sql)
    assert found[("w", "v", "t", "m")] == "aggregate"
    assert parse_lineage(sql).sources == ["s", "w"]


@pytest.mark.parametrize(("dialect", "lateral"), [("snowflake", None), ("ansi", True)])
def test_lateral_column_alias(dialect: str, lateral: bool | None) -> None:
    found = kinds(
        "INSERT INTO t SELECT a * 2 AS doubled, doubled + 1 AS plus_one FROM s",
        dialect,
        lateral_column_aliases=lateral,
    )
    assert found == {
        ("s", "a", "t", "doubled"): "transform",
        ("s", "a", "t", "plus_one"): "transform",
    }


def test_without_lateral_aliases_the_name_is_a_column_of_the_table() -> None:
    found = kinds("INSERT INTO t SELECT a AS x, x + 1 AS y FROM s", "postgres")
    assert ("s", "x", "t", "y") in found


# -- scripts ---------------------------------------------------------------------------------


def test_intermediate_tables_of_a_script_collapse() -> None:
    sql = """
        CREATE TABLE tmp AS SELECT id, amount * rate AS eur FROM orders;
        INSERT INTO totals SELECT id, SUM(eur) AS total FROM tmp GROUP BY id;
        DROP TABLE tmp;
    """
    result = parse_lineage(sql)
    assert (result.sources, result.targets) == (["orders"], ["totals"])
    found = kinds(sql)
    assert found[("orders", "amount", "totals", "total")] == "aggregate"
    assert found[("orders", "id", "totals", "id")] == "copy"
    assert not any(key[0] == "tmp" or key[2] == "tmp" for key in found)


def test_a_created_table_s_columns_expand_a_later_star() -> None:
    sql = "CREATE TABLE a AS SELECT x, y FROM s; INSERT INTO b SELECT * FROM a"
    assert set(kinds(sql)) == {("s", "x", "b", "x"), ("s", "y", "b", "y")}


def test_rename_relabels_the_target() -> None:
    result = parse_lineage("INSERT INTO t1 SELECT * FROM s; ALTER TABLE t1 RENAME TO t2")
    assert (result.sources, result.targets) == (["s"], ["t2"])


def test_statements_report_their_own_reads_and_writes() -> None:
    result = parse_lineage("INSERT INTO a SELECT * FROM s; SELECT * FROM a")
    assert [(s.index, s.kind, s.reads, s.writes) for s in result.statements] == [
        (0, "insert", ("s",), ("a",)),
        (1, "select", ("a",), ()),
    ]


def test_procedure_body_statements_are_read() -> None:
    sql = """CREATE PROCEDURE p AS
BEGIN
    INSERT INTO t (a) SELECT a FROM s;
    IF @x > 0 BEGIN UPDATE t SET a += 1 END
END"""
    result = parse_lineage(sql, "tsql")
    assert ("s", "a", "t", "a") in {
        (e.source_table, e.source_column, e.target_table, e.target_column)
        for e in result.column_lineage
    }


def test_tsql_statements_without_semicolons_and_go() -> None:
    sql = "insert into t1 select * from a\ninsert into t2 select * from b\nGO\nselect 1"
    result = parse_lineage(sql, "tsql")
    assert (result.sources, result.targets) == (["a", "b"], ["t1", "t2"])
    assert not result.errors


def test_file_paths_are_sources_and_targets() -> None:
    result = parse_lineage("COPY INTO t FROM 's3://bucket/key'", "snowflake")
    assert (result.sources, result.targets) == (["s3://bucket/key"], ["t"])
    result = parse_lineage("INSERT OVERWRITE DIRECTORY 'hdfs://x/y' SELECT * FROM s", "hive")
    assert (result.sources, result.targets) == (["s"], ["hdfs://x/y"])


@pytest.mark.parametrize(
    "sql",
    ["DELETE FROM t WHERE a = 1", "TRUNCATE TABLE t", "DROP TABLE t", "SET x = 1", "USE db"],
)
def test_statements_without_lineage(sql: str) -> None:
    result = parse_lineage(sql)
    assert (result.sources, result.targets, result.column_lineage) == ([], [], [])


def test_edge_kinds_are_the_enum() -> None:
    edge = next(iter(flows("INSERT INTO t SELECT a FROM s").values()))
    assert edge.kind is TransformKind.COPY
