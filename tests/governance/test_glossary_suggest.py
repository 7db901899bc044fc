"""How suggestions read names: suffixes, report words, qualifiers, counts, flags, owners,
grouping terms and inferred synonyms (features/glossary/names.py, suggest.py).

Profiles are built with the service's own word functions, as generate_suggestions does."""

from __future__ import annotations

from sounding.features.glossary.links import plural_words, spanning, tokens, words
from sounding.features.glossary.names import shape_name
from sounding.features.glossary.suggest import (
    AssetProfile,
    LinkSuggestion,
    TermProfile,
    name_words,
    suggest_links,
)


def term(
    term_id: int,
    path: str,
    synonyms: tuple[str, ...] = (),
    *,
    parent: int | None = None,
    related: tuple[int, ...] = (),
    classifications: tuple[str, ...] = (),
    defined: bool = True,
) -> TermProfile:
    name = path.rsplit("/", 1)[-1]
    return TermProfile(
        term_id,
        path,
        words(name),
        tuple(words(s) for s in synonyms),
        classifications=classifications,
        shown=synonyms,
        parent_id=parent,
        related=related,
        defined=defined,
        plural_words=plural_words([name, *synonyms]),
        spans=spanning([name, *synonyms]),
    )


def asset(
    asset_id: int,
    name: str,
    kind: str = "column",
    *,
    table: str = "",
    labels: tuple[tuple[str, str], ...] = (),
) -> AssetProfile:
    obj = kind != "column"
    split = name_words(words(name)) if obj else words(name)
    owner = shape_name(tokens(table), True).core if table else ()
    return AssetProfile(asset_id, kind, name, split, labels, shape_name(tokens(name), obj), owner)


def found(
    terms: list[TermProfile], assets: list[AssetProfile]
) -> dict[tuple[int, int], LinkSuggestion]:
    return {(s.term_id, s.asset_id): s for s in suggest_links(terms, assets)}


def test_unit_state_and_aggregate_suffixes_are_set_aside() -> None:
    revenue = term(1, "/Finance/Revenue")
    card = term(2, "/Payments/Card Number")
    assets = [
        asset(10, "revenue_usd"),
        asset(11, "revenue_7d_avg_usd"),
        asset(12, "card_number_masked"),
        asset(13, "weight_kg"),
    ]
    got = found([revenue, card], assets)
    assert set(got) == {(1, 10), (1, 11), (2, 12)}
    assert got[(1, 10)].reasons == ("name 'Revenue' equals 'revenue_usd' without 'usd'",)
    assert got[(1, 11)].confidence == 0.85
    # a suffix word alone is still the name, and it only goes at the end
    assert shape_name(tokens("usd"), False).core == ("usd",)
    assert shape_name(tokens("usd_revenue"), False).core == ("usd", "revenue")


def test_report_words_leave_the_subject_of_a_table_or_view() -> None:
    order, product = term(1, "/Sales/Order"), term(2, "/Product")
    assets = [
        asset(10, "mart_order_summary", "view"),
        asset(11, "Current Product List", "view"),
        asset(12, "Alphabetical list of products", "view"),
        asset(13, "order_summary"),  # a column: a summary text of an order, not an order
    ]
    got = found([order, product], assets)
    assert {(1, 10), (2, 11), (2, 12)} <= set(got) and (1, 13) not in got
    assert got[(1, 10)].confidence > 0.8
    assert "without 'mart summary'" in got[(1, 10)].reasons[0]


def test_a_phrase_only_in_a_prepositional_qualifier_is_not_what_the_asset_is() -> None:
    order, department = term(1, "/Sales/Order"), term(2, "/Product/Department")
    category = term(3, "/Product/Product Category")
    product = term(4, "/Product")
    birth = term(5, "/Customer/Date of Birth")
    assets = [
        asset(10, "months_since_first_order"),
        asset(11, "rank_in_department"),
        asset(12, "Products by Category", "view"),
        asset(13, "customer_date_of_birth"),
        asset(14, "UnitsOnOrder"),
        asset(15, "top_products_by_category", "view"),
    ]
    got = found([order, department, category, product, birth], assets)
    assert set(got) == {(4, 12), (5, 13), (4, 15)}
    assert got[(4, 12)].reasons == ("name 'Product' heads 'Products by Category'",)


def test_counts_named_like_the_thing_counted_are_not_the_thing() -> None:
    order, customer = term(1, "/Sales/Order"), term(2, "/Customer")
    revenue = term(3, "/Finance/Revenue", ("Sales",))  # written plural: a measure
    counts = ["orders", "order_count", "num_orders", "number_of_orders", "active_customers"]
    assets = [asset(10 + i, name) for i, name in enumerate(counts)]
    assets += [asset(20, "orders", "table"), asset(21, "total_sales")]
    got = found([order, customer, revenue], assets)
    assert set(got) == {(1, 20), (3, 21)}
    low = suggest_links([order], [asset(10, "orders")], threshold=0.1)
    assert low and "is counted by 'orders'" in low[0].reasons[0]
    # a term that is the count itself is what such a column is
    measure = term(4, "/Sales/Order Count", ("Number of Orders",))
    got = found([order, measure], assets[:4])
    assert {a for t, a in got if t == 4} == {11, 12, 13}  # num is read as number
    assert not {(1, 11), (1, 12), (1, 13)} & set(got)


def test_a_flag_about_a_thing_is_not_the_thing() -> None:
    email = term(1, "/Customer/Email Address", ("Email",))
    consent = term(2, "/Customer/Marketing Consent", ("Marketable",))
    got = found([email, consent], [asset(10, "is_duplicate_email"), asset(11, "is_marketable")])
    assert set(got) == {(2, 11)}


def test_a_term_under_an_entity_needs_that_entity_as_the_owner() -> None:
    customer = term(1, "/Customer", ("Client",), related=(5,))
    email = term(2, "/Customer/Email Address", ("Email",), parent=1, classifications=("PII.Email",))
    name = term(3, "/Customer/Full Name", ("Customer Name", "Name"), parent=1)
    member = term(4, "/Customer/Loyalty Member", parent=1)
    order = term(5, "/Sales/Order", related=(1,))
    labelled = (("PII.Email", "suggested"),)
    assets = [
        asset(10, "email", table="raw_customers", labels=labelled),
        asset(11, "email", table="Employee", labels=labelled),
        asset(12, "contact_email", table="raw_suppliers", labels=labelled),
        asset(13, "email", table="raw_loyalty_members", labels=labelled),  # a descendant
        asset(14, "buyer_email", table="orders", labels=labelled),  # a related term
        asset(20, "product_name", table="products"),
        asset(21, "first_name", table="customers"),
        asset(22, "customer_name", table="orders"),
        asset(23, "name", table="Artist"),
        asset(24, "name", table="customer_list"),
    ]
    got = found([customer, email, name, member, order], assets)
    assert {a for t, a in got if t == 2} == {10, 13, 14}
    assert {a for t, a in got if t == 3} == {22, 24}
    weak = suggest_links([customer, email], [assets[1]], threshold=0.1)
    assert weak[0].reasons[-1] == "but 'employee' is not about 'Customer'"
    # a term directly under a grouping (no parent entity) is not held to an owner
    loose = term(6, "/Marketing/Email", classifications=("PII.Email",))
    assert (6, 11) in found([loose], [assets[1]])


def test_grouping_terms_an_import_created_are_not_suggested() -> None:
    sales = term(1, "/Sales", defined=False)
    order = term(2, "/Sales/Order", parent=1)
    assets = [asset(10, "sales", "table"), asset(11, "orders", "table")]
    assert set(found([sales, order], assets)) == {(2, 11)}
    assert set(found([term(1, "/Sales"), order], assets)) == {(1, 10), (2, 11)}
    assert set(found([sales], assets)) == {(1, 10)}  # no children: not a grouping


def test_synonyms_inferred_from_parallel_phrases_and_from_the_parent() -> None:
    revenue = term(1, "/Finance/Revenue")
    net = term(2, "/Finance/Revenue/Net Revenue", ("Net Sales",), parent=1)
    customer = term(3, "/Customer", ("Client",))
    status = term(4, "/Customer/Customer Status", parent=3)
    assets = [asset(10, "ProductSales"), asset(11, "client_status"), asset(12, "net_sales")]
    got = found([revenue, net, customer, status], assets)
    assert set(got) == {(1, 10), (4, 11), (2, 12)}
    assert got[(1, 10)].reasons[0] == (
        "inferred synonym 'sale' ends 'ProductSales' "
        "('Net Sales' is to 'Net Revenue' in '/Finance/Revenue/Net Revenue')"
    )
    assert "('Client' for '/Customer')" in got[(4, 11)].reasons[0]
    # without the parallel phrase nothing is inferred
    assert (1, 10) not in found(
        [revenue, term(2, "/Finance/Revenue/Net Revenue", parent=1)], assets
    )


def test_short_forms_in_column_names_are_read_as_their_words() -> None:
    phone = term(1, "/Customer/Phone Number")
    aov = term(2, "/Finance/Average Order Value")
    address = term(3, "/Customer/Customer Address")
    assets = [asset(10, "phone_num"), asset(11, "avg_order_value"), asset(12, "cust_addr")]
    assets.append(asset(13, "phone_desc"))  # "desc" may be descending: left alone
    got = found([phone, aov, address], assets)
    assert set(got) == {(1, 10), (2, 11), (3, 12)}
    assert got[(1, 10)].confidence >= 0.85
