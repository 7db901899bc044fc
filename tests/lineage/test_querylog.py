from __future__ import annotations

from sounding.lineage.querylog import split_statements, statements_from_log

PG_LOG = """2026-11-22 10:00:01.123 UTC [811] LOG:  statement: INSERT INTO facts
\tSELECT id, 'a;b' FROM orders;
2026-11-22 10:00:02.000 UTC [812] LOG:  duration: 12.5 ms  statement: SELECT 1
2026-11-22 10:00:03.000 UTC [813] ERROR:  relation "nope" does not exist
2026-11-22 10:00:03.000 UTC [813] STATEMENT:  INSERT INTO nope SELECT 1
2026-11-22 10:00:04.000 UTC [814] LOG:  execute <unnamed>: UPDATE t SET a = s.a FROM s
"""


def test_postgres_server_logs_give_whole_statements() -> None:
    assert statements_from_log(PG_LOG) == [
        "INSERT INTO facts SELECT id, 'a;b' FROM orders",
        "SELECT 1",
        "UPDATE t SET a = s.a FROM s",  # the failed INSERT INTO nope is left out
    ]


def test_sql_files_split_at_top_level_semicolons() -> None:
    sql = "insert into a select ';' from b; -- x; y\ncreate table c as select 1;\n\n"
    assert split_statements(sql) == [
        "insert into a select ';' from b",
        "-- x; y\ncreate table c as select 1",
    ]
    assert statements_from_log("") == []
