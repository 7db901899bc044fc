"""Keeping a source's secrets through an edit form that shows its URL redacted."""

from __future__ import annotations

import pytest

from sounding.errors import InvalidInputError
from sounding.services.secrets import redact_url
from sounding.services.source_pages import restore_masked

STORED = "postgresql://ann:p%40ss@db.example:5432/shop?sslmode=require&password=q1&token=t%2F2"


def test_the_redacted_url_saved_unchanged_is_the_stored_one() -> None:
    shown = redact_url(STORED)
    assert "p%40ss" not in shown and "q1" not in shown and "t%2F2" not in shown
    assert restore_masked(shown, STORED) == STORED


def test_changing_the_host_or_database_keeps_every_secret() -> None:
    shown = redact_url(STORED).replace("db.example", "db2.example").replace("/shop", "/sales")
    restored = restore_masked(shown, STORED)
    assert restored == STORED.replace("db.example", "db2.example").replace("/shop", "/sales")


def test_a_secret_typed_in_replaces_the_stored_one() -> None:
    typed = redact_url(STORED).replace("ann:***@", "ann:n3w@")
    restored = restore_masked(typed, STORED)
    assert restored.startswith("postgresql://ann:n3w@db.example") and "password=q1" in restored


def test_a_url_without_masks_is_taken_as_typed() -> None:
    assert restore_masked("sqlite:////data/x.db", STORED) == "sqlite:////data/x.db"


@pytest.mark.parametrize(
    "typed",
    [
        "postgresql://bob:***@db.example/shop",  # a password where none is stored
        "mysql://root@h/db?api_key=***",  # a secret parameter with none stored
    ],
)
def test_a_mask_with_no_stored_secret_behind_it_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInputError, match=r"\*\*\*"):
        restore_masked(typed, "postgresql://bob@db.example/shop")
