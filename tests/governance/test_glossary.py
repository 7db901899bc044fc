"""The glossary's pure rules: paths, hierarchy, statuses, file formats, suggestion scoring."""

from __future__ import annotations

import json

import pytest

from sounding.errors import ConflictError, InvalidInputError, ParseError, ValidationFailedError
from sounding.features.glossary import terms as g
from sounding.features.glossary.suggest import (
    AssetProfile,
    TermProfile,
    combine,
    name_words,
    suggest_links,
)
from sounding.search.analysis import split_words, stem


def words(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in split_words(text))


def term(term_id: int, path: str, synonyms: tuple[str, ...] = (), **kw: object) -> TermProfile:
    return TermProfile(
        term_id,
        path,
        words(path.rsplit("/", 1)[-1]),
        tuple(words(s) for s in synonyms),
        **kw,  # type: ignore[arg-type]
    )


def asset(asset_id: int, name: str, kind: str = "column", labels: tuple = ()) -> AssetProfile:
    split = words(name)
    return AssetProfile(
        asset_id, kind, name, name_words(split) if kind != "column" else split, labels
    )


# --- paths and hierarchy ---------------------------------------------------------------------


def test_paths_split_join_and_compare_without_case_or_spacing() -> None:
    assert g.split_path("/Finance/Revenue/ Net  Revenue ") == ("Finance", "Revenue", "Net Revenue")
    assert g.join_path(("Finance", "Revenue")) == "/Finance/Revenue"
    assert g.path_key("/Finance/NET Revenue") == g.path_key("/finance/net revenue")
    assert (
        g.child_path(None, "Sales") == "/Sales"
        and g.child_path("/Sales", "Order") == "/Sales/Order"
    )


@pytest.mark.parametrize("bad", ["", "/", "  ", "/a//b", "/" + "x" * 201])
def test_bad_paths_say_what_is_wrong(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        g.split_path(bad)


def test_names_cannot_hold_a_slash() -> None:
    with pytest.raises(InvalidInputError, match="contains '/'"):
        g.check_name("Revenue/Net")


def test_a_term_cannot_move_under_its_own_descendant() -> None:
    parents = {1: None, 2: 1, 3: 2}
    g.check_parent(3, 1, parents)  # fine: up the tree
    with pytest.raises(ConflictError, match="descendants"):
        g.check_parent(1, 3, parents)
    with pytest.raises(ConflictError):
        g.check_parent(2, 2, parents)


def test_sibling_names_are_unique_case_insensitively() -> None:
    with pytest.raises(ConflictError, match="already exists at /Sales/order"):
        g.check_sibling_names("order", ["Order", "Return"], "/Sales/order")
    g.check_sibling_names("Orders", ["Order"], "/Sales/Orders")


def test_status_transitions() -> None:
    g.check_transition("draft", "approved", "/T")
    g.check_transition("approved", "deprecated", "/T")
    g.check_transition("deprecated", "draft", "/T")
    with pytest.raises(ConflictError, match="cannot become approved"):
        g.check_transition("deprecated", "approved", "/T")
    with pytest.raises(ConflictError, match="already approved"):
        g.check_transition("approved", "approved", "/T")
    with pytest.raises(InvalidInputError, match="Unknown status"):
        g.check_transition("draft", "final", "/T")


def test_tree_nests_children_sorted_by_name() -> None:
    rows = [
        {"id": 1, "name": "Sales", "parent_id": None},
        {"id": 2, "name": "Return", "parent_id": 1},
        {"id": 3, "name": "Order", "parent_id": 1},
        {"id": 4, "name": "Finance", "parent_id": None},
    ]
    tree = g.build_tree(rows)
    assert [n["name"] for n in tree] == ["Finance", "Sales"]
    assert [n["name"] for n in tree[1]["children"]] == ["Order", "Return"]


# --- files -----------------------------------------------------------------------------------

CSV = """path,definition,synonyms,abbreviations,related,classifications,status
/Finance/Revenue,Money earned,Turnover|Sales Revenue,,,,approved
/Finance/Average Order Value,Revenue per order,,AOV,/Finance/Revenue,,draft
/Customer/Email Address,Login email,Email| E-mail ,,,PII.Email,
"""


def test_csv_reads_lists_and_round_trips_through_json_and_csv() -> None:
    records = g.parse_csv(CSV)
    assert [r.path for r in records] == [
        "/Finance/Revenue",
        "/Finance/Average Order Value",
        "/Customer/Email Address",
    ]
    assert records[0].synonyms == ("Turnover", "Sales Revenue") and records[0].status == "approved"
    assert records[1].abbreviations == ("AOV",) and records[1].related == ("/Finance/Revenue",)
    assert records[2].synonyms == ("Email", "E-mail") and records[2].classifications == (
        "PII.Email",
    )
    as_dicts = [r.to_dict() for r in records]
    assert [r.to_dict() for r in g.parse_json(g.to_json(as_dicts))] == as_dicts
    assert [r.to_dict() for r in g.parse_csv(g.to_csv(as_dicts))] == as_dicts
    assert g.to_csv(as_dicts).splitlines()[0] == ",".join(g.COLUMNS)


def test_parents_come_before_children() -> None:
    records = g.parse_json(json.dumps([{"path": "/A/B/C"}, {"path": "/A"}, {"path": "/A/B"}]))
    assert [r.path for r in g.ancestors_first(records)] == ["/A", "/A/B", "/A/B/C"]


def test_file_errors_name_the_line() -> None:
    bad = "path,status\n/Ok,draft\n/Bad,final\n,draft\n/ok,approved\n"
    with pytest.raises(ValidationFailedError) as info:
        g.parse_csv(bad)
    locs = [e["loc"] for e in info.value.details["errors"]]
    assert locs == [["line", 3], ["line", 4], ["line", 5]]  # bad status, no path, repeated path
    assert "line 3" in info.value.message and "final" in info.value.message
    with pytest.raises(InvalidInputError, match="'path' column"):
        g.parse_csv("name,definition\nA,b\n")
    with pytest.raises(InvalidInputError, match="Unknown field"):
        g.parse_json('[{"path": "/A", "colour": "red"}]')
    with pytest.raises(ParseError):
        g.parse_json("{not json")
    with pytest.raises(InvalidInputError, match="csv or json"):
        g.parse("x", "xml")


# --- suggestions -----------------------------------------------------------------------------


def test_exact_names_and_synonyms_win_over_partial_matches() -> None:
    terms = [term(1, "/Customer/Email Address", ("Email",)), term(2, "/Customer")]
    assets = [
        asset(10, "email"),
        asset(11, "contact_email"),
        asset(12, "raw_customers", "table"),
        asset(13, "customer_id"),  # refers to a customer; is not one
        asset(14, "customer_status"),  # a status, not a customer
        asset(15, "amount"),
    ]
    found = {(s.term_id, s.asset_id): s for s in suggest_links(terms, assets)}
    assert set(found) == {(1, 10), (1, 11), (2, 12)}
    assert found[(1, 10)].confidence > found[(1, 11)].confidence >= 0.6
    assert found[(2, 12)].reasons == ("name 'Customer' equals 'raw_customers'",)
    assert "synonym 'email' equals 'email'" in found[(1, 10)].reasons


def test_the_more_specific_term_wins_on_an_asset() -> None:
    terms = [term(1, "/Finance/Revenue"), term(2, "/Finance/Revenue/Net Revenue")]
    found = {(s.term_id, s.asset_id) for s in suggest_links(terms, [asset(5, "net_revenue")])}
    assert found == {(2, 5)}
    alone = suggest_links([term(1, "/Finance/Revenue")], [asset(5, "net_revenue")])
    assert [(s.term_id, s.asset_id) for s in alone] == [(1, 5)]


def test_abbreviations_and_classification_hints_count() -> None:
    aov = TermProfile(1, "/Finance/Average Order Value", words("Average Order Value"), (), ("aov",))
    email = term(2, "/Contact/Email", classifications=("PII.Email",))
    assets = [
        asset(7, "aov"),
        asset(8, "login", labels=(("PII.Email", "suggested"),)),
        asset(9, "mail_to", labels=(("PII.Email", "rejected"),)),
    ]
    found = {(s.term_id, s.asset_id): s for s in suggest_links([aov, email], assets)}
    assert set(found) == {(1, 7), (2, 8)}
    assert found[(2, 8)].reasons == ("classified PII.Email (suggested), which the term maps to",)
    confirmed = suggest_links([email], [asset(8, "login", labels=(("PII.Email", "confirmed"),))])
    assert confirmed[0].confidence == 0.9


def test_description_similarity_is_evidence_and_signals_combine() -> None:
    t = term(1, "/Sales/Order", classifications=("PII.Email",))
    a = asset(3, "orders", "table")
    plain = suggest_links([t], [a])[0].confidence
    boosted = suggest_links([t], [a], {(1, 3): 0.9})[0]
    assert boosted.confidence > plain and "description is similar" in boosted.reasons[-1]
    assert combine([0.5, 0.5]) == 0.75 and combine([]) == 0.0


def test_skipped_pairs_and_the_threshold_filter() -> None:
    t, a = term(1, "/Customer"), asset(2, "customers", "table")
    assert suggest_links([t], [a], skip=[(1, 2)]) == []
    assert suggest_links([t], [asset(4, "customer_status")], threshold=0.5)  # weak but present
    assert suggest_links([t], [asset(4, "customer_status")]) == []


def test_a_path_that_is_not_text_is_refused() -> None:
    with pytest.raises(ValidationFailedError, match="term 1: path must be text"):
        g.parse('[{"path": 5}]', "json")
