"""Write tests/golden/classification_kinds.jsonl: golden columns for the value-only kinds of
issue 17 (postal codes, street addresses, person names, SWIFT/BIC negatives, e-mail inside
text). Run once; the output is committed and the tests read it, not this script.

    .venv/bin/python tools/make_classification_kinds.py

Sources: values written by hand for Sounding (noted ``hand``), or generated with faker (MIT)
under a fixed seed (noted ``faker <locale> seed 17``). Every record: id, kind, column_name,
expected (our label, or null for a negative column), sample_values, source.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from faker import Faker

OUT = Path(__file__).resolve().parents[1] / "tests" / "golden" / "classification_kinds.jsonl"
SEED = 17
N = 40
records: list[dict[str, Any]] = []


def add(kind: str, expected: str | None, values: list[str], source: str, name: str = "") -> None:
    n = sum(1 for r in records if r["kind"] == kind)
    records.append({
        "id": f"{kind}#{n}", "kind": kind, "column_name": name or f"c{n}",
        "expected": expected, "sample_values": values, "source": source,
    })  # fmt: skip


def faker(locale: str) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(SEED)
    return fake


def gen(locale: str, method: str, n: int = N) -> list[str]:
    fake = faker(locale)
    return [str(getattr(fake, method)()) for _ in range(n)]


rng = random.Random(SEED)

# --- postal codes ----------------------------------------------------------------------
P = "PII.PostalCode"
add("postal", P, gen("en_US", "postcode"), "faker en_US seed 17")
add("postal", P, gen("en_US", "zipcode_plus4"), "faker en_US seed 17")
add(
    "postal",
    P,
    [
        f(s)
        for s, f in zip(
            gen("en_US", "postcode"),
            [str, lambda z: z + "-" + str(rng.randint(1000, 9999))] * 20,
            strict=True,
        )
    ],
    "faker en_US seed 17, every other ZIP+4",
)
add("postal", P, gen("de_DE", "postcode"), "faker de_DE seed 17")
add("postal", P, gen("fr_FR", "postcode"), "faker fr_FR seed 17")
add("postal", P, gen("es_ES", "postcode"), "faker es_ES seed 17")
add("postal", P, gen("it_IT", "postcode"), "faker it_IT seed 17")
add("postal", P, gen("nl_NL", "postcode"), "faker nl_NL seed 17")
add("postal", P, gen("en_GB", "postcode"), "faker en_GB seed 17")
add("postal", P, gen("en_CA", "postcode"), "faker en_CA seed 17")
add("postal", P, gen("pt_PT", "postcode"), "faker pt_PT seed 17")
add(
    "postal",
    P,
    [
        "02134",
        "10001",
        "94103",
        "60614",
        "02139-4307",
        "30301",
        "73301",
        "98109",
        "07030",
        "33101",
        "20500-0003",
        "85001",
        "00501",
        "55401",
        "80202",
        "97201",
        "19103",
        "48201",
        "63101",
        "01002",
    ],
    "hand (US city ZIPs)",
)
add(
    "postal",
    P,
    [
        "10115",
        "80331",
        "20095",
        "50667",
        "01067",
        "04109",
        "60311",
        "70173",
        "30159",
        "90402",
        "28195",
        "45127",
        "01307",
        "99084",
        "24103",
        "66111",
    ],
    "hand (German city PLZ)",
)
add(
    "postal",
    P,
    [
        "SW1A 1AA",
        "EC1A 1BB",
        "W1A 0AX",
        "M1 1AE",
        "B33 8TH",
        "CR2 6XH",
        "DN55 1PT",
        "G1 1XQ",
        "EH1 1YZ",
        "BT1 5GS",
    ],
    "hand (UK postcodes)",
)
add(
    "postal",
    P,
    [
        "K1A 0B1",
        "M5V 3L9",
        "H2X 1Y4",
        "V6B 4Y8",
        "T2P 2M5",
        "R3C 4T3",
        "B3H 4R2",
        "S4P 3Y2",
        "E1C 4M3",
        "A1C 5M2",
    ],
    "hand (Canadian postcodes)",
)
# negatives: numbers that are not postcodes. Not included: uniform 5-digit strings with some
# zero-padded, or uniform NNNNN-NNNN, or NN-NNN: they are exactly what faker's de_DE, ZIP+4
# and pl_PL generators produce, so no value evidence can tell them apart.
add(
    "postal", None, [str(40000 + i * 3) for i in range(N)], "hand: sequential 5-digit order numbers"
)
add(
    "postal",
    None,
    [str(rng.randint(10000, 99999)) for _ in range(N)],
    "random uniform 5-digit integers, seed 17",
)
add(
    "postal",
    None,
    [str(rng.randint(1000, 9999)) for _ in range(N)],
    "random 4-digit amounts, seed 17",
)
add("postal", None, [str(y) for y in range(1980, 2020)], "hand: years")
add(
    "postal",
    None,
    [str(rng.randint(100000, 999999)) for _ in range(N)],
    "random 6-digit invoice numbers, seed 17",
)
add(
    "postal",
    None,
    [f"{rng.randint(1, 999):05d}" for _ in range(N)],
    "zero-padded 5-digit row numbers, seed 17",
)
add(
    "postal",
    None,
    [f"{rng.randint(10000, 99999)}.{rng.randint(0, 99):02d}" for _ in range(N)],
    "amounts with cents, seed 17",
)
add(
    "postal",
    None,
    [f"{rng.randint(10, 99)}-{rng.randint(100, 999)}" for _ in range(N)],
    "part numbers NN-NNN, seed 17",
)

# --- street addresses -----------------------------------------------------------------
A = "PII.StreetAddress"
for loc in ("en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "en_GB", "nl_NL", "pt_PT"):
    add("address", A, gen(loc, "street_address"), f"faker {loc} seed 17")
add("address", A, gen("en_US", "address"), "faker en_US seed 17 (multi-line)")
add("address", A, gen("de_DE", "address"), "faker de_DE seed 17 (multi-line)")
add(
    "address",
    A,
    [
        "12 High St",
        "4 Church Lane",
        "Flat 3, 27 Station Road",
        "221B Baker Street",
        "10 Downing St",
        "7 Mill Rd",
        "Apt 4B, 350 Fifth Ave",
        "1600 Pennsylvania Ave NW",
        "55 Elm Street, Unit 12",
        "8 Park Pl",
        "19 Queen's Gate",
        "3 Victoria Sq",
    ],
    "hand (UK/US)",
)
add(
    "address",
    A,
    [
        "Hauptstraße 5",
        "Bahnhofstr. 12a",
        "Am Markt 3",
        "Lindenallee 27",
        "Königsweg 8",
        "Schillerplatz 1",
        "Goethestraße 44, 2. OG",
        "Ringstr. 101",
        "Kirchgasse 6",
        "Mühlenweg 15",
    ],
    "hand (German)",
)
add(
    "address",
    A,
    [
        "12 rue de la Paix",
        "3 avenue des Champs-Élysées",
        "45 boulevard Haussmann",
        "8 place Bellecour",
        "17 bis rue Victor Hugo",
        "2 allée des Tilleuls",
        "101 chemin du Moulin",
        "6 impasse des Lilas",
        "29 quai de la Tournelle",
        "14 rue Nationale, Bât. B",
    ],
    "hand (French)",
)
add(
    "address",
    A,
    [
        "Calle Mayor 3",
        "Calle de Alcalá 45, 2º B",
        "Avenida de la Constitución 12",
        "Via Roma 3",
        "Via Giuseppe Garibaldi 18",
        "Piazza del Duomo 1",
        "Corso Vittorio Emanuele II 45",
        "Paseo de Gracia 92",
        "Plaza Mayor 7",
        "Viale Europa 210",
    ],
    "hand (Spanish/Italian)",
)
add(
    "address",
    A,
    [
        "1 Main St\nSpringfield, IL 62701",
        "742 Evergreen Terrace\nSpringfield",
        "Apt. 5\n88 Oak Avenue\nPortland, OR 97205",
        "Hauptstraße 5\n10115 Berlin",
        "12 rue de la Paix\n75002 Paris",
        "PO Box 1234\nAnchorage, AK 99501",
        "350 Fifth Avenue, Suite 3300\nNew York, NY 10118",
        "Flat 2\n14 Kings Road\nLondon SW3 4RP",
    ],
    "hand (multi-line)",
)
add(
    "address",
    A,
    [
        "Unit 5/12 Smith St",
        "3/45 George Street",
        "Level 2, 100 Pitt St",
        "Shop 4, 22 King Rd",
        "7 Bondi Rd",
        "15A Ocean Pde",
        "Lot 12 Hill Cres",
        "22 Wattle Ct",
        "9/3 Beach Esplanade",
        "101 Collins St",
    ],
    "hand (Australian)",
)
add(
    "address",
    A,
    [
        "Kungsgatan 12",
        "Karl Johans gate 5",
        "Nørregade 7",
        "Drottninggatan 45",
        "Mannerheimintie 10",
        "ul. Marszałkowska 10/12",
        "ul. Piotrkowska 104",
        "Rua Augusta 120",
        "Av. Paulista, 1578",
        "Carrer de Mallorca 401",
        "Rua das Flores 22",
        "Strandvejen 100",
    ],
    "hand (Nordic, Polish, Portuguese, Catalan)",
)
add(
    "address",
    A,
    [
        "123 Main St, Springfield, IL 62704",
        "1 Infinite Loop, Cupertino, CA 95014",
        "350 5th Ave, New York, NY 10118",
        "233 S Wacker Dr, Chicago, IL 60606",
        "11 Wall St, New York, NY 10005",
        "2 15th St NW, Washington, DC 20024",
        "600 Montgomery St, San Francisco, CA 94111",
        "400 Broad St, Seattle, WA 98109",
    ],
    "hand (US one-line with city, state and ZIP)",
)
add(
    "address",
    A,
    [
        "123 MAIN ST",
        "45 OAK AVE APT 2",
        "789 PINE RD",
        "10 ELM BLVD",
        "55 MAPLE DR UNIT 3",
        "1200 BROADWAY",
        "77 SUNSET BLVD",
        "9 LAKE SHORE DR",
        "300 RIVER RD",
        "18 HILL ST",
    ],
    "hand (US upper case)",
)
add(
    "address",
    A,
    [
        "ACME Corp\n12 High St\nLondon",
        "Haus am See\nHauptstraße 5\n10115 Berlin",
        "c/o Smith\n22 Baker Street\nLondon NW1 6XE",
        "The Old Rectory\nChurch Lane 4\nLittle Snoring\nNorfolk NR21 0AA\nUnited Kingdom",
        "Firma Müller GmbH\nBahnhofstr. 12\n80335 München",
        "Dept. of Physics\n1 Main St\nCambridge, MA 02139",
        "Résidence Les Pins\n12 rue de la Paix\n75002 Paris\nFrance",
        "Villa Rosa\nVia Roma 3\n00184 Roma RM",
        "Building C\n500 Oracle Pkwy\nRedwood City, CA 94065",
    ],
    "hand (multi-line, first line without a number)",
)
# negatives
add(
    "address",
    None,
    [
        "iPhone 13 Pro Max 256GB",
        "Galaxy S21 Ultra",
        "Model 3 Long Range",
        "Pixel 7 Pro",
        "ThinkPad X1 Carbon Gen 9",
        "PlayStation 5 Digital",
        "AirPods Pro 2",
        "Surface Laptop 4",
        "Kindle Paperwhite 11",
        "Apple Watch Series 8",
    ],
    "hand: product names with numbers",
)
add(
    "address",
    None,
    [
        "Room 12",
        "Gate 4",
        "Table 7",
        "Seat 23A",
        "Level 2",
        "Bay 14",
        "Dock 3",
        "Court 5",
        "Platform 9",
        "Lane 6",
    ],
    "hand: venue spots",
)
add(
    "address",
    None,
    [
        "3 days 2 hours",
        "15 minutes",
        "2 weeks",
        "1 year 3 months",
        "45 seconds",
        "6 hours",
        "10 days",
        "4 weeks 2 days",
        "30 minutes",
        "8 months",
    ],
    "hand: durations",
)
add("address", None, gen("en_US", "sentence"), "faker en_US seed 17 (sentences)")
add(
    "address",
    None,
    [
        "Cozy 2BR apartment near Central Park",
        "Sunny loft with 3 beds",
        "Charming studio, 5 min to beach",
        "Room 2 in shared house",
        "Luxury villa with 4 bedrooms and pool",
        "Quiet room #3 near station",
        "Bright 1BR in the heart of downtown",
        "Garden flat for 2 guests",
        "Big house 10 min from airport",
        "Modern 2 bedroom condo",
    ],
    "hand: listing titles with numbers",
)
add(
    "address",
    None,
    [
        f"{rng.randint(1, 99)} x {rng.choice(['Widget', 'Gadget', 'Bolt', 'Screw'])}"
        for _ in range(N)
    ],
    "order lines, seed 17",
)

add(
    "address",
    None,
    [
        "2BR near Hyde Park",
        "Studio by Central Park",
        "Loft on 5th Avenue view",
        "1BR steps to Ocean Drive",
        "Apartment at 42nd Street",
        "3BR by the Lake Road",
        "2BD/2BA near Main St",
        "Studio 5min to Union Square",
        "4BR house, Oak Lane area",
        "1BR off Sunset Blvd",
    ],
    "hand: listing titles naming a street",
)
add(
    "address",
    None,
    [
        "2 bedrooms",
        "3 bathrooms",
        "1 king bed",
        "4 guests",
        "2 queen beds",
        "5 beds",
        "1 bath",
        "3 bedrooms",
        "6 guests",
        "2 baths",
    ],
    "hand: room facts",
)

# --- person names ---------------------------------------------------------------------
PN = "PII.PersonName"
for loc in ("en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"):
    add("name", PN, gen(loc, "name"), f"faker {loc} seed 17")
add("name", PN, gen("en_US", "first_name"), "faker en_US seed 17 (first names)")
add("name", PN, gen("en_US", "last_name"), "faker en_US seed 17 (last names)")
add("name", PN, gen("en_GB", "name"), "faker en_GB seed 17 (full names)", name="Name")
add(
    "name",
    PN,
    [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Marie Curie",
        "Albert Einstein",
        "Isaac Newton",
        "Charles Darwin",
        "Rosalind Franklin",
        "Nikola Tesla",
        "Katherine Johnson",
        "Niels Bohr",
        "Emmy Noether",
    ],
    "hand (scientists)",
)
add(
    "name",
    PN,
    [
        "Smith, John",
        "Garcia, Maria",
        "Müller, Hans",
        "Dubois, Claire",
        "Rossi, Marco",
        "Nguyen, Linh",
        "Johnson, Robert",
        "Fernández, Lucía",
        "Schmidt, Anna",
        "Brown, Emily",
    ],
    "hand (Last, First)",
)
add(
    "name",
    PN,
    [
        "Dr. Jane Smith",
        "Mr. Robert Brown",
        "Ms. Laura Jones",
        "John A. Miller",
        "Mary-Kate Olsen",
        "Jean-Luc Picard",
        "Anna-Lena Schulz",
        "Prof. Hans Weber",
        "James T. Kirk",
        "O'Brien, Sean",
    ],
    "hand (titles, initials, hyphens)",
    name="Name",
)
# negatives
add(
    "name",
    None,
    [
        "Springfield",
        "Portland",
        "Jacksonville",
        "San Francisco",
        "New York",
        "Los Angeles",
        "Chicago",
        "Houston",
        "Phoenix",
        "Philadelphia",
        "San Antonio",
        "Dallas",
        "Austin",
        "Columbus",
        "Charlotte",
        "Denver",
        "Boston",
        "Seattle",
        "Nashville",
        "Detroit",
    ],
    "hand: US cities",
)
add("name", None, gen("en_US", "city"), "faker en_US seed 17 (cities)")
add("name", None, gen("de_DE", "city"), "faker de_DE seed 17 (cities)")
add("name", None, gen("en_US", "company"), "faker en_US seed 17 (companies)")
add("name", None, gen("en_US", "company"), "faker en_US seed 17 (companies)", name="Name")
add(
    "name",
    None,
    [
        "Cozy Room near Central Park",
        "Charming Victorian Flat",
        "Sunny Garden Studio",
        "Modern Loft Downtown",
        "Quiet Retreat by the Lake",
        "Spacious Family Home",
        "Rustic Cabin in the Woods",
        "Bright Room with View",
        "Beach House Getaway",
        "Stylish Apartment in Old Town",
    ],
    "hand: listing titles",
    name="name",
)
add(
    "name",
    None,
    [
        "Wireless Mouse",
        "Office Chair",
        "Coffee Maker",
        "Desk Lamp",
        "Yoga Mat",
        "Water Bottle",
        "Running Shoes",
        "Travel Mug",
        "Phone Case",
        "Laptop Stand",
        "Garden Hose",
        "Rose Candle",
    ],
    "hand: product names",
    name="Name",
)
add("name", None, gen("en_US", "job"), "faker en_US seed 17 (job titles)")
add("name", None, gen("en_US", "color_name"), "faker en_US seed 17 (colour names)")
add("name", None, gen("en_US", "catch_phrase"), "faker en_US seed 17 (catch phrases)")

add(
    "name",
    PN,
    [
        "JOHN SMITH",
        "MARY JOHNSON",
        "ROBERT BROWN",
        "PATRICIA DAVIS",
        "MICHAEL WILSON",
        "LINDA MOORE",
        "DAVID TAYLOR",
        "BARBARA ANDERSON",
        "JAMES THOMAS",
        "SUSAN JACKSON",
    ],
    "hand (upper case)",
)
add(
    "name",
    PN,
    [
        "Zhang Wei",
        "Priya Patel",
        "Aarav Sharma",
        "Yuki Tanaka",
        "Siobhan O'Connor",
        "Ngozi Okonjo",
        "Kwame Mensah",
        "Tomasz Kowalski",
        "Aisling Murphy",
        "Dmitri Ivanov",
        "Olusegun Obasanjo",
        "Bjørn Håkonsen",
    ],
    "hand (names from many countries)",
)
add(
    "name",
    PN,
    [
        "Liam",
        "Olivia",
        "Noah",
        "Emma",
        "Oliver",
        "Ava",
        "Elijah",
        "Charlotte",
        "William",
        "Sophia",
        "James",
        "Amelia",
        "Benjamin",
        "Isabella",
        "Lucas",
        "Mia",
    ],
    "hand (frequent given names, some also place names)",
)
add(
    "name",
    None,
    [
        "Main Street",
        "Park Avenue",
        "Oak Lane",
        "Elm Road",
        "Maple Drive",
        "Church Street",
        "High Street",
        "Victoria Road",
        "King Street",
        "Queen Street",
        "George Street",
        "Albert Road",
        "Mill Lane",
        "Station Road",
        "Green Lane",
    ],
    "hand: street names without numbers",
)
add(
    "name",
    None,
    [
        "Maria's Cozy Room",
        "Villa Rosa",
        "Casa Bella",
        "Chez Marie",
        "Bella Vista",
        "Casa Maria",
        "Villa Sophia",
        "Rosa's Place",
        "Villa Anna",
        "Casa Luna",
        "Hotel Victoria",
        "Pension Helga",
        "Villa Carmen",
        "Haus Anna",
        "Casa Elena",
    ],
    "hand: listing names built on given names",
    name="Name",
)
add(
    "name",
    None,
    [
        "Paris",
        "London",
        "Berlin",
        "Madrid",
        "Rome",
        "Vienna",
        "Prague",
        "Lisbon",
        "Dublin",
        "Amsterdam",
        "Brussels",
        "Warsaw",
        "Budapest",
        "Athens",
        "Oslo",
        "Stockholm",
        "Helsinki",
        "Copenhagen",
        "Zurich",
        "Munich",
    ],
    "hand: European capitals",
)
add(
    "name",
    None,
    [
        "Rose",
        "Violet",
        "Amber",
        "Olive",
        "Ruby",
        "Scarlett",
        "Jade",
        "Hazel",
        "Coral",
        "Ivory",
        "Pearl",
        "Sienna",
        "Indigo",
        "Lavender",
        "Ginger",
    ],
    "hand: colour names that are also given names",
)
add(
    "name",
    None,
    [
        "The Great Gatsby",
        "Moby Dick",
        "Little Women",
        "War and Peace",
        "Brave New World",
        "The Hobbit",
        "Great Expectations",
        "Wuthering Heights",
        "Animal Farm",
        "Middlemarch",
        "Dracula",
        "Frankenstein",
    ],
    "hand: book titles",
)
add(
    "name",
    None,
    [
        "Boston Celtics",
        "Chicago Bulls",
        "Miami Heat",
        "Denver Nuggets",
        "Utah Jazz",
        "Orlando Magic",
        "Phoenix Suns",
        "Dallas Mavericks",
        "Houston Rockets",
        "Golden State Warriors",
    ],
    "hand: sports teams (city + nickname)",
)
add(
    "name",
    None,
    [
        "Morgan Stanley",
        "Wells Fargo",
        "Goldman Sachs",
        "Lockheed Martin",
        "Charles Schwab",
        "Dow Jones",
        "Ernst Young",
        "Arthur Andersen",
        "Ralph Lauren",
        "Calvin Klein",
    ],
    "hand: companies named after their founders",
    name="Name",
)

# --- SWIFT / BIC --------------------------------------------------------------------------
B = "Finance.SwiftBic"
add(
    "bic",
    B,
    [
        "DEUTDEFF",
        "BNPAFRPP",
        "COBADEFFXXX",
        "CHASUS33",
        "BARCGB22",
        "UBSWCHZH80A",
        "NWBKGB2L",
        "INGBNL2A",
        "BOFAUS3N",
        "CITIUS33XXX",
        "HSBCHKHH",
        "RABONL2U",
    ],
    "hand (published BICs of large banks)",
)
add(
    "bic",
    B,
    [
        "DEUTDEFF500",
        "DRESDEFF",
        "GENODEF1S04",
        "HYVEDEMM",
        "BYLADEMM",
        "SOLADEST",
        "MARKDEF1100",
        "PBNKDEFF",
        "COLSDE33",
        "HELADEFF",
    ],
    "hand (German BICs)",
)
add(
    "bic",
    None,
    [
        "BUNGALOW",
        "DOWNTOWN",
        "COTTAGES",
        "HIDEAWAY",
        "MANSIONS",
        "SEASIDES",
        "LAKEHOUSE",
        "PENTHOUSE",
        "TOWNHOUSE",
        "TREEHOUSE",
        "SUNSHINE",
        "HOMESTAY",
    ],
    "hand: upper-case listing names",
)
add(
    "bic",
    None,
    [
        "CHARMING DOWNTOWN LOFT",
        "BUNGALOW BY THE SEA",
        "COZY COTTAGES",
        "SEASIDES RETREAT",
        "HIDEAWAY IN THE HILLS",
        "MANSIONS OF OLD TOWN",
        "DOWNTOWN STUDIO",
        "BUNGALOW",
        "HIDEAWAY",
        "COTTAGES",
    ],
    "hand: upper-case listing titles",
    name="name",
)
add(
    "bic",
    None,
    [
        "ABCDEFGH",
        "QWERTYUI",
        "ZXCVBNMA",
        "POIUYTRE",
        "ASDFGHJK",
        "LKJHGFDS",
        "MNBVCXZA",
        "PLOKIJUH",
        "YGVTFCRD",
        "XSWEDCVF",
    ],
    "hand: keyboard-row tokens",
)
add(
    "bic",
    None,
    [w.upper() for w in gen("en_US", "word") if len(w) in (8, 11)]
    + ["STANDARD", "SHIPPING", "DELIVERY", "PRIORITY", "EXPRESS1", "OVERNITE", "GROUNDUS"],
    "upper-case words, faker en_US seed 17 + hand",
)
add(
    "bic",
    B,
    [
        "COBADEFFXXX",
        "DEUTDEFF500",
        "BNPAFRPPXXX",
        "CITIUS33XXX",
        "UBSWCHZH80A",
        "BARCGB22XXX",
        "INGBNL2AXXX",
        "RZBAATWWXXX",
        "BKAUATWWXXX",
        "NDEAFIHHXXX",
    ],
    "hand (11-character BICs)",
)
add(
    "bic",
    None,
    [
        "ANDERSON",
        "THOMPSON",
        "ROBINSON",
        "WILLIAMS",
        "JOHNSTON",
        "HARRISON",
        "MITCHELL",
        "RICHARDS",
        "SULLIVAN",
        "FERGUSON",
        "PATTERSON",
        "CARPENTER",
    ],
    "hand: upper-case surnames",
)
add(
    "bic",
    None,
    [
        "MARYLAND",
        "ILLINOIS",
        "COLORADO",
        "ARKANSAS",
        "KENTUCKY",
        "MICHIGAN",
        "MISSOURI",
        "NEBRASKA",
        "OKLAHOMA",
        "VIRGINIA",
        "DELAWARE",
        "NEW YORK",
    ],
    "hand: upper-case US states",
)
add(
    "bic",
    None,
    [
        "Charming Downtown Loft",
        "BUNGALOW BY THE SEA",
        "Cozy Cottages",
        "HIDEAWAY",
        "Seasides Retreat",
        "DOWNTOWN",
        "Mansions of Old Town",
        "COTTAGES",
        "Bright Studio",
        "TREEHOUSE",
    ],
    "hand: listing names in mixed case",
    name="Name",
)


add(
    "bic",
    None,
    [
        "CHELSEA2 STUDIO CLOSE TO THE KINGS ROAD AND THE PARK",
        "MAYFAIR1 PENTHOUSE WITH A VIEW OVER THE WHOLE CITY",
        "BRIXTON3 ROOM NEXT TO THE MARKET AND THE TUBE STATION",
        "HACKNEY5 LOFT IN A QUIET STREET NEAR THE CANAL",
        "DOWNTOWN BUNGALOW WITH GARDEN AND PARKING SPACE",
        "COTTAGES BY THE SEA FOR FAMILIES AND FRIENDS",
        "HIDEAWAY CABIN IN THE WOODS WITH A HOT TUB",
        "MANSIONS OF OLD TOWN, FOUR BEDROOMS AND A POOL",
        "SEASIDES RETREAT WITH A BALCONY FACING THE OCEAN",
        "BUNGALOW NEAR THE BEACH, TEN MINUTES ON FOOT",
    ],
    "hand: upper-case listing titles with glued codes (free text)",
    name="name",
)

# --- e-mail columns vs e-mail inside text ---------------------------------------------
E, T = "PII.Email", "PII.EmailInText"
add("email", E, gen("en_US", "email"), "faker en_US seed 17")
add("email", E, gen("de_DE", "company_email"), "faker de_DE seed 17")
add(
    "email",
    E,
    [e.upper() if i % 3 == 0 else e for i, e in enumerate(gen("fr_FR", "free_email"))],
    "faker fr_FR seed 17, some upper-case",
)
fu = faker("en_US")
add(
    "email",
    T,
    [f"{fu.name()} <{fu.email()}>" for _ in range(N)],
    "faker en_US seed 17: From headers with display names",
    name="from",
)
add(
    "email",
    T,
    [f'"{fu.name()}" <{fu.email()}>' for _ in range(N)],
    "faker en_US seed 17: quoted display names",
)
add(
    "email",
    T,
    [f"{fu.sentence()} Write to {fu.email()} for details. {fu.sentence()}" for _ in range(N)],
    "faker en_US seed 17: message bodies",
)
add(
    "email",
    T,
    [
        f"From: {fu.name()} <{fu.email()}>\nTo: {fu.email()}\n"
        f"Subject: {fu.sentence()}\n\n{fu.paragraph()}"
        for _ in range(N)
    ],
    "faker en_US seed 17: whole messages",
)
add(
    "email",
    T,
    [
        f"Hi {fu.first_name()}, {fu.sentence()} Thanks, {fu.first_name()}"
        if i % 2
        else f"Please reply to {fu.email()} before {fu.date()}."
        for i in range(N)
    ],
    "faker en_US seed 17: half of the messages mention an address",
)
add(
    "email",
    T,
    [f"{fu.name()} ({fu.email()})" for _ in range(N)],
    "faker en_US seed 17: name (address)",
)
add("email", None, gen("en_US", "sentence"), "faker en_US seed 17: sentences without addresses")
add("email", None, gen("en_US", "user_name"), "faker en_US seed 17: user names")
add("email", None, gen("en_US", "domain_name"), "faker en_US seed 17: domain names")

OUT.parent.mkdir(parents=True, exist_ok=True)
with OUT.open("w", encoding="utf-8") as handle:
    for rec in records:
        handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
print(f"{len(records)} records -> {OUT}")
