"""Personal data of the demo shop: customers, addresses, payment methods, loyalty, suppliers.

Names, addresses and phone numbers come from a seeded, multi-locale Faker; card numbers pass the
Luhn check and IBANs the mod-97 check (Faker makes valid ones). Dates come from seeded ``random``
against fixed dates, never from the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from faker import Faker
from faker.providers.address.it_IT import Provider as ItalianAddresses

from sounding.demo.common import (
    Row,
    Rows,
    ascii_slug,
    company_domain,
    fmt_date,
    fmt_ts,
    random_datetime,
)
from sounding.demo.plan import REFERENCE_TIME, SIGNUP_START, DemoPlan


@dataclass(frozen=True)
class Country:
    locale: str
    code: str
    name: str
    currency: str
    weight: int


COUNTRIES: tuple[Country, ...] = (
    Country("en_US", "US", "United States", "USD", 34),
    Country("en_GB", "GB", "United Kingdom", "GBP", 16),
    Country("de_DE", "DE", "Germany", "EUR", 14),
    Country("fr_FR", "FR", "France", "EUR", 10),
    Country("nl_NL", "NL", "Netherlands", "EUR", 8),
    Country("es_ES", "ES", "Spain", "EUR", 10),
    Country("it_IT", "IT", "Italy", "EUR", 8),
)
_COUNTRY_WEIGHTS = [country.weight for country in COUNTRIES]
_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CARD_BRANDS = (("visa16", "Visa", 55), ("mastercard", "Mastercard", 32), ("amex", "Amex", 13))
_LOYALTY_TIERS = (("bronze", 60), ("silver", 25), ("gold", 12), ("platinum", 3))
_LAST_SIGNUP = datetime(2025, 12, 20)
# Faker's it_IT city list is built from a set, so its order changes with PYTHONHASHSEED.
_ITALIAN_CITIES = sorted(ItalianAddresses.cities)


@dataclass(frozen=True)
class Address:
    street: str
    postal_code: str
    city: str

    @classmethod
    def fake(cls, fake: Faker, country: Country) -> Address:
        local = fake[country.locale]
        street = local.street_address().replace("\n", ", ")
        return cls(street, local.postcode(), _city(local, country))


@dataclass
class Customer:
    """What the order and web generators need to know about one customer."""

    customer_id: int
    country: Country
    first_name: str
    last_name: str
    gender: str
    email: str
    date_of_birth: date
    phone_number: str | None
    home: Address
    signup_at: datetime
    activity: float
    address_ids: list[int] = field(default_factory=list)
    payment_method_ids: list[int] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class People:
    customers: list[Customer]
    rows: Rows


def make_faker(plan: DemoPlan, section: str) -> Faker:
    """A multi-locale Faker seeded for one section of the demo."""
    fake = Faker([country.locale for country in COUNTRIES])
    fake.seed_instance(plan.faker_seed(section))
    return fake


def generate_people(plan: DemoPlan) -> People:
    rng = plan.rng("people")
    fake = make_faker(plan, "people")
    customers = [_new_customer(rng, fake, number) for number in range(1, plan.customers + 1)]
    _assign_emails(rng, fake, customers)
    _plant_duplicate_emails(rng, customers, plan.duplicate_emails)
    _plant_missing_phones(rng, customers, plan.null_phone_numbers)
    people: list[Row] = []
    addresses: list[Row] = []
    payment_methods: list[Row] = []
    used_usernames: set[str] = set()
    for customer in customers:
        people.append(_customer_row(rng, fake, customer, used_usernames))
        addresses.extend(_address_rows(rng, fake, customer, len(addresses) + 1))
        payment_methods.extend(_payment_rows(rng, fake, customer, len(payment_methods) + 1))
    rows: Rows = {
        "raw_customers": people,
        "raw_customer_addresses": addresses,
        "raw_payment_methods": payment_methods,
        "raw_loyalty_members": _loyalty_rows(rng, customers),
        "raw_suppliers": _supplier_rows(plan, fake),
    }
    return People(customers, rows)


def _new_customer(rng: random.Random, fake: Faker, number: int) -> Customer:
    country = rng.choices(COUNTRIES, weights=_COUNTRY_WEIGHTS)[0]
    local = fake[country.locale]
    gender = rng.choices(("female", "male", "non_binary"), weights=(49, 48, 3))[0]
    if gender == "female":
        first = local.first_name_female()
    elif gender == "male":
        first = local.first_name_male()
    else:
        first = local.first_name()
    last = local.last_name()
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 57))
    signup = random_datetime(rng, datetime.combine(SIGNUP_START, datetime.min.time()), _LAST_SIGNUP)
    return Customer(
        customer_id=number,
        country=country,
        first_name=first,
        last_name=last,
        gender=gender,
        email="",
        date_of_birth=birth,
        phone_number=local.phone_number(),
        home=Address.fake(fake, country),
        signup_at=signup,
        activity=min(rng.lognormvariate(0.0, 0.8), 8.0) if rng.random() < 0.88 else 0.05,
    )


def _assign_emails(rng: random.Random, fake: Faker, customers: list[Customer]) -> None:
    used: set[str] = set()
    for customer in customers:
        first = ascii_slug(customer.first_name) or "user"
        last = ascii_slug(customer.last_name) or "shopper"
        pattern = rng.randrange(5)
        local_part = (
            f"{first}.{last}",
            f"{first}{last}",
            f"{first[0]}.{last}",
            f"{first}_{last}{rng.randrange(10, 99)}",
            f"{last}.{first}{rng.randrange(1960, 2008)}",
        )[pattern]
        domain = fake[customer.country.locale].free_email_domain()
        email = f"{local_part}@{domain}"
        suffix = 1
        while email in used:
            suffix += 1
            email = f"{local_part}{suffix}@{domain}"
        used.add(email)
        customer.email = email


def _plant_duplicate_emails(rng: random.Random, customers: list[Customer], count: int) -> None:
    """Defect: ``count`` customers re-registered with another customer's email and name."""
    chosen = rng.sample(range(len(customers)), 2 * count)
    for original_index, copy_index in zip(chosen[:count], chosen[count:], strict=True):
        original, copy = customers[original_index], customers[copy_index]
        copy.email = original.email
        copy.first_name, copy.last_name = original.first_name, original.last_name
        copy.gender, copy.date_of_birth = original.gender, original.date_of_birth


def _plant_missing_phones(rng: random.Random, customers: list[Customer], count: int) -> None:
    """Defect: exactly ``count`` customers (30 %) have no phone number."""
    for index in rng.sample(range(len(customers)), count):
        customers[index].phone_number = None


def _city(local: Faker, country: Country) -> str:
    if country.locale == "it_IT":
        return str(local.random_element(_ITALIAN_CITIES))
    return str(local.city())


def _customer_row(
    rng: random.Random, fake: Faker, customer: Customer, used_usernames: set[str]
) -> Row:
    local = fake[customer.country.locale]
    first = ascii_slug(customer.first_name) or "user"
    last = ascii_slug(customer.last_name) or str(customer.customer_id)
    username = rng.choice(
        (f"{first}{last}", f"{first[0]}{last}", f"{first}_{last[0]}", f"{last}{first[:3]}")
    )
    if rng.random() < 0.4:
        username += str(rng.randrange(1, 100))
    while username in used_usernames:
        username = f"{username}{rng.randrange(10)}"
    used_usernames.add(username)
    password_hash = "$2b$12$" + "".join(rng.choices(_BCRYPT_ALPHABET, k=53))
    last_login = random_datetime(rng, customer.signup_at, REFERENCE_TIME)
    ip_address = local.ipv6() if rng.random() < 0.1 else local.ipv4_public()
    status = rng.choices(("active", "inactive", "closed"), weights=(90, 8, 2))[0]
    return (
        customer.customer_id,
        username,
        customer.email,
        password_hash,
        customer.first_name,
        customer.last_name,
        customer.full_name,
        customer.gender,
        fmt_date(customer.date_of_birth),
        customer.phone_number,
        customer.home.street,
        customer.home.postal_code,
        customer.home.city,
        customer.country.name,
        customer.country.code,
        ip_address,
        fmt_ts(customer.signup_at),
        fmt_ts(last_login),
        int(rng.random() < 0.55),
        status,
    )


def _address_rows(rng: random.Random, fake: Faker, customer: Customer, first_id: int) -> list[Row]:
    """The billing (home) address and, for three in ten customers, a separate shipping one."""
    addresses = [("billing", customer.full_name, customer.home)]
    if rng.random() < 0.3:
        recipient = (
            customer.full_name if rng.random() < 0.7 else fake[customer.country.locale].name()
        )
        addresses.append(("shipping", recipient, Address.fake(fake, customer.country)))
    customer.address_ids = list(range(first_id, first_id + len(addresses)))
    rows: list[Row] = []
    for address_id, (kind, recipient, address) in zip(customer.address_ids, addresses, strict=True):
        row = (address_id, customer.customer_id, kind, recipient, address.street)
        rows.append((*row, address.postal_code, address.city, customer.country.code, 0))
    rows[0] = (*rows[0][:-1], 1)  # the billing address is the default
    return rows


def _payment_rows(rng: random.Random, fake: Faker, customer: Customer, next_id: int) -> list[Row]:
    local = fake[customer.country.locale]
    result: list[Row] = []
    for offset in range(1 if rng.random() < 0.65 else 2):
        created = fmt_ts(random_datetime(rng, customer.signup_at, REFERENCE_TIME))
        is_default = int(offset == 0)
        draw = rng.random()
        if customer.country.currency == "EUR" and draw < 0.3:
            iban, bic = local.iban(), local.swift(length=11)
            card: tuple[object, ...] = (None, None, None, None, None, iban, bic)
            method = "sepa_debit"
        elif draw > 0.9:
            card, method = (None, None, None, None, None, None, None), "paypal"
        else:
            provider, brand, _ = rng.choices(_CARD_BRANDS, weights=[b[2] for b in _CARD_BRANDS])[0]
            number = local.credit_card_number(card_type=provider)
            expiry = f"{rng.randint(1, 12):02d}/{rng.randint(26, 31)}"
            holder = customer.full_name.upper()
            card = (brand, number, number[-4:], expiry, holder, None, None)
            method = "card"
        row = (next_id + offset, customer.customer_id, method, *card, is_default, created)
        result.append(row)
    customer.payment_method_ids = list(range(next_id, next_id + len(result)))
    return result


def _loyalty_rows(rng: random.Random, customers: list[Customer]) -> list[Row]:
    """Defect: a personal-data table that nobody owns (no entry in ``TABLE_OWNERS``)."""
    members = sorted(rng.sample(customers, round(len(customers) * 0.3)), key=_signup_key)
    rows: list[Row] = []
    for member_id, customer in enumerate(members, start=1):
        tier = rng.choices([t[0] for t in _LOYALTY_TIERS], weights=[t[1] for t in _LOYALTY_TIERS])
        enrolled = random_datetime(rng, customer.signup_at, REFERENCE_TIME)
        rows.append(
            (
                member_id,
                customer.customer_id,
                customer.email,
                customer.phone_number,
                fmt_date(customer.date_of_birth),
                tier[0],
                rng.randrange(0, 25_000),
                fmt_ts(enrolled),
            )
        )
    return rows


def _signup_key(customer: Customer) -> datetime:
    return customer.signup_at


def _supplier_rows(plan: DemoPlan, fake: Faker) -> list[Row]:
    rng = plan.rng("suppliers")
    rows: list[Row] = []
    for supplier_id in range(1, plan.suppliers + 1):
        country = rng.choices(COUNTRIES, weights=(30, 15, 25, 8, 10, 5, 7))[0]
        local = fake[country.locale]
        company = local.company()
        contact_first, contact_last = local.first_name(), local.last_name()
        domain = company_domain(company)
        email = f"{ascii_slug(contact_first)}.{ascii_slug(contact_last)}@{domain}"
        iban = local.iban() if country.currency != "USD" else None
        created = random_datetime(rng, datetime(2021, 1, 1), datetime(2023, 12, 31))
        rows.append(
            (
                supplier_id,
                company,
                f"{contact_first} {contact_last}",
                email,
                local.phone_number(),
                country.code,
                iban,
                rng.choice((30, 45, 60, 90)),
                fmt_ts(created),
            )
        )
    return rows
