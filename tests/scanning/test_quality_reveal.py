"""Which fields of a custom SQL rule's failing rows a caller without pii:read sees."""

from __future__ import annotations

import pytest

from sounding.features.quality.reveal import revealed_fields

COLUMNS = ("id", "email", "amount")


@pytest.mark.parametrize(
    ("sql", "shown"),
    [
        ("SELECT * FROM {table} WHERE amount < 0", {"id", "amount"}),
        ("SELECT t.* FROM {table} AS t WHERE amount < 0", {"id", "amount"}),
        ("SELECT id, email, amount FROM {table} WHERE amount < 0", {"id", "amount"}),
        # a sensitive column used anywhere but as itself hides the whole row
        ("SELECT id FROM {table} WHERE email LIKE 'a%'", set()),
        ("SELECT email AS id FROM {table}", set()),
        ("SELECT lower(email) AS x, id FROM {table}", set()),
        # anything that is not a plain column of the rule's own table
        ("SELECT amount * 2 AS amount2, id FROM {table}", {"id"}),
        ("SELECT pg_read_file('/etc/passwd') AS id FROM {table}", set()),
        ("SELECT * FROM read_text('/etc/passwd')", set()),
        ("SELECT c.id FROM {table} AS t JOIN customers AS c ON c.id = t.id", set()),
        ("SELECT id FROM {table} WHERE id IN (SELECT id FROM other)", set()),
        ("SELECT id FROM {table} UNION SELECT id FROM other", set()),
        ("WITH x AS (SELECT * FROM other) SELECT * FROM {table}", set()),
        ("SELECT id FROM other_table", set()),
        ("SELECT (", set()),
    ],
)
def test_only_plain_non_sensitive_columns_of_the_table_are_shown(sql: str, shown: set[str]) -> None:
    assert revealed_fields(sql, COLUMNS, {"email"}) == shown
