"""The glossary service over SQLite and PostgreSQL: hierarchy, status, files, links and
suggestions, each change audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from sounding.features.accounts import service as accounts
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import service as glossary
from sounding.features.glossary.records import GlossaryImportResult
from sounding.services import classification, scans, sources
from sounding.store.repos import audit
from tests.factories import sqlite_source

CSV = """path,definition,synonyms,abbreviations,related,classifications,status
/Customer,A person who buys,Client|Buyer,,,,approved
/Customer/Email Address,Email of a customer,Email|E-mail,,/Customer,PII.Email,
/Sales/Order,A purchase,Purchase,,/Customer,,
"""


def _actions(ctx: Any) -> list[tuple[str, str]]:
    with ctx.db.read() as conn:
        rows, _ = audit.list_entries(conn, 1000, 0)
    return [(r["action"], r["target"]) for r in rows]


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Any:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(any_ctx, operator, "shop")
    return any_ctx


def test_hierarchy_moves_renames_and_refuses_cycles(any_ctx: Any, operator: Any) -> None:
    fin = glossary.create_term(any_ctx, operator, {"name": "Finance", "definition": "Money"})
    rev = glossary.create_term(any_ctx, operator, {"name": "Revenue", "parent": "/Finance"})
    net = glossary.create_term(
        any_ctx, operator, {"path": "/Finance/Revenue/Net Revenue", "synonyms": ["Net Sales"]}
    )
    assert net.path == "/Finance/Revenue/Net Revenue" and net.status == "draft"
    assert glossary.get_term(any_ctx, operator, "/finance/revenue").children == [net.path]
    with pytest.raises(ConflictError, match="already exists"):
        glossary.create_term(any_ctx, operator, {"name": "revenue", "parent": fin.id})
    with pytest.raises(ConflictError, match="descendants"):
        glossary.update_term(any_ctx, operator, fin.id, {"parent": "/Finance/Revenue"})
    glossary.update_term(any_ctx, operator, rev.id, {"name": "Income"})
    assert glossary.get_term(any_ctx, operator, net.id).path == "/Finance/Income/Net Revenue"
    glossary.update_term(any_ctx, operator, net.id, {"parent": ""})  # to the top
    assert glossary.get_term(any_ctx, operator, net.id).path == "/Net Revenue"
    tree = glossary.tree(any_ctx, operator)
    assert [n.name for n in tree] == ["Finance", "Net Revenue"]
    assert [c.name for c in tree[0].children] == ["Income"]
    with pytest.raises(NotFoundError):
        glossary.get_term(any_ctx, operator, "/Finance/Revenue")
    with pytest.raises(InvalidInputError, match="editable fields"):
        glossary.update_term(any_ctx, operator, fin.id, {"colour": "red"})


def test_approval_is_recorded_and_statuses_follow_the_rules(any_ctx: Any, operator: Any) -> None:
    term = glossary.create_term(any_ctx, operator, {"name": "Order"})
    viewer = Principal("vera", Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        glossary.set_status(any_ctx, viewer, term.id, "approved")
    steward = Principal("stu", Role.STEWARD)
    approved = glossary.set_status(any_ctx, steward, "/Order", "approved", "reviewed")
    assert approved.status == "approved" and approved.approved_by == "stu"
    assert approved.approved_at is not None
    with pytest.raises(ConflictError, match="already approved"):
        glossary.set_status(any_ctx, steward, term.id, "approved")
    glossary.set_status(any_ctx, steward, term.id, "deprecated")
    with pytest.raises(ConflictError, match="cannot become approved"):
        glossary.set_status(any_ctx, steward, term.id, "approved")
    assert glossary.update_term(any_ctx, steward, term.id, {"status": "draft"}).status == ("draft")
    actions = _actions(any_ctx)
    assert ("glossary.term.approve", "/Order") in actions
    assert ("glossary.term.deprecate", "/Order") in actions
    assert ("glossary.term.create", "/Order") in actions


def test_delete_needs_recursive_for_a_subtree(any_ctx: Any, operator: Any) -> None:
    glossary.create_term(any_ctx, operator, {"path": "/Sales"})
    glossary.create_term(any_ctx, operator, {"path": "/Sales/Order"})
    with pytest.raises(ConflictError, match="1 descendant"):
        glossary.delete_term(any_ctx, operator, "/Sales")
    assert glossary.delete_term(any_ctx, operator, "/Sales", recursive=True) == 2
    assert glossary.list_terms(any_ctx, operator)[1] == 0


def test_import_export_round_trip_with_relations(any_ctx: Any, operator: Any) -> None:
    result = glossary.import_terms(any_ctx, operator, CSV, "csv")
    assert result == GlossaryImportResult(created=3, updated=0, ancestors_created=1, terms=3)
    email = glossary.get_term(any_ctx, operator, "/Customer/Email Address")
    assert email.synonyms == ["Email", "E-mail"] and email.classifications == ["PII.Email"]
    assert email.related == ["/Customer"]
    customer = glossary.get_term(any_ctx, operator, "/Customer")
    assert customer.status == "approved" and customer.approved_by == operator.name
    assert customer.related == ["/Customer/Email Address", "/Sales/Order"]  # both directions
    exported = glossary.export_terms(any_ctx, operator, "json")
    again = glossary.import_terms(any_ctx, operator, exported, "json")
    assert again.created == 0 and again.updated == 4
    assert glossary.export_terms(any_ctx, operator, "json") == exported
    items, total = glossary.list_terms(any_ctx, operator, q="buyer")
    assert total == 1 and items[0].path == "/Customer"
    assert glossary.list_terms(any_ctx, operator, under="/Customer")[1] == 1


def test_an_import_changes_only_the_columns_the_file_has(any_ctx: Any, operator: Any) -> None:
    glossary.import_terms(any_ctx, operator, CSV, "csv")
    glossary.import_terms(any_ctx, operator, "path,owner\n/Customer,crm@shop\n", "csv")
    customer = glossary.get_term(any_ctx, operator, "/Customer")
    assert customer.owner == "crm@shop"
    assert customer.definition == "A person who buys"  # not in the file: kept
    assert customer.synonyms == ["Client", "Buyer"] and customer.status == "approved"
    assert customer.related == ["/Customer/Email Address", "/Sales/Order"]
    glossary.import_terms(any_ctx, operator, '[{"path": "/Sales/Order", "owner": "x"}]', "json")
    assert glossary.get_term(any_ctx, operator, "/Sales/Order").synonyms == ["Purchase"]
    glossary.import_terms(any_ctx, operator, "path,related\n/Sales/Order,\n", "csv")  # clears
    assert glossary.get_term(any_ctx, operator, "/Customer").related == ["/Customer/Email Address"]


def test_related_terms_of_one_file_do_not_undo_each_other(any_ctx: Any, operator: Any) -> None:
    glossary.import_terms(any_ctx, operator, "path,related\n/A,/B\n/B,/C\n/C,\n", "csv")
    assert glossary.get_term(any_ctx, operator, "/A").related == ["/B"]
    assert glossary.get_term(any_ctx, operator, "/B").related == ["/A", "/C"]
    assert glossary.get_term(any_ctx, operator, "/C").related == ["/B"]


def test_a_bad_import_changes_nothing(any_ctx: Any, operator: Any) -> None:
    bad = "path,related\n/A,/Nowhere\n"
    with pytest.raises(InvalidInputError, match="/Nowhere"):
        glossary.import_terms(any_ctx, operator, bad, "csv")
    assert glossary.list_terms(any_ctx, operator)[1] == 0


def test_links_and_suggestions_respect_people(shop: Any, operator: Any) -> None:
    glossary.import_terms(shop, operator, CSV, "csv")
    first = glossary_links.generate_suggestions(shop, operator, "shop")
    items, total = glossary_links.list_suggestions(shop, operator)
    pairs = {(i.term_path, i.qualified_name): i for i in items}
    assert ("/Customer", "main.customers") in pairs and ("/Sales/Order", "main.orders") in pairs
    assert ("/Customer/Email Address", "main.customers.email") in pairs
    assert first.suggested == total and all(i.reasons for i in items)
    assert ("/Customer", "main.orders.customer_id") not in pairs
    # reject one, accept another: generating again never brings the rejected pair back
    rejected = pairs[("/Sales/Order", "main.orders")]
    glossary_links.decide_suggestion(shop, operator, rejected.id, "rejected")
    accepted = pairs[("/Customer", "main.customers")]
    linked = glossary_links.decide_suggestion(shop, operator, accepted.id, "accepted")
    assert linked.status == "accepted" and linked.decided_by == operator.name
    with pytest.raises(ConflictError, match="already accepted"):
        glossary_links.decide_suggestion(shop, operator, accepted.id, "rejected")
    second = glossary_links.generate_suggestions(shop, operator, "shop")
    assert second.suggested == 0 and second.updated == total - 2
    still = {
        (i.term_path, i.qualified_name) for i in glossary_links.list_suggestions(shop, operator)[0]
    }
    assert ("/Sales/Order", "main.orders") not in still
    assets, n = glossary_links.term_assets(shop, operator, "/Customer")
    assert n == 1 and assets[0].urn == "urn:sounding:shop:main.customers"
    actions = _actions(shop)
    assert ("glossary.reject", "urn:sounding:shop:main.orders") in actions
    assert ("glossary.link", "urn:sounding:shop:main.customers") in actions


def test_manual_links_and_unlink(shop: Any, operator: Any) -> None:
    glossary.create_term(shop, operator, {"path": "/Amount"})
    link = glossary_links.link(shop, operator, "/Amount", "urn:sounding:shop:main.orders#amount")
    assert link.status == "accepted" and link.confidence is None
    assert glossary_links.term_assets(shop, operator, "/Amount")[1] == 1
    glossary_links.unlink(shop, operator, "/Amount", "urn:sounding:shop:main.orders#amount")
    assert glossary_links.term_assets(shop, operator, "/Amount")[1] == 0
    with pytest.raises(NotFoundError, match="not linked"):
        glossary_links.unlink(shop, operator, "/Amount", "urn:sounding:shop:main.orders#amount")
    with pytest.raises(NotFoundError):
        glossary_links.link(shop, operator, "/Amount", "urn:sounding:shop:main.nothing")


def test_classification_hints_suggest_terms(shop: Any, operator: Any) -> None:
    glossary.create_term(
        shop, operator, {"path": "/Contact Point", "classifications": ["PII.Email"]}
    )
    col = "urn:sounding:shop:main.orders#amount"
    classification.decide(shop, operator, col, "PII.Email", "confirmed")
    glossary_links.generate_suggestions(shop, operator)
    items, _ = glossary_links.list_suggestions(shop, operator, term="/Contact Point")
    assert [i.urn for i in items] == [col]
    assert items[0].confidence == 0.9 and "PII.Email" in items[0].reasons[0]


def test_readers_cannot_write(any_ctx: Any, operator: Any) -> None:
    accounts.create_user(any_ctx, operator, "v", "viewer")
    viewer = Principal("v", Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        glossary.create_term(any_ctx, viewer, {"name": "X"})
    with pytest.raises(PermissionDeniedError):
        glossary.import_terms(any_ctx, viewer, CSV, "csv")
    assert glossary.list_terms(any_ctx, viewer)[1] == 0
