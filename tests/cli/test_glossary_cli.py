"""``sounding glossary ...`` through Typer's runner on a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import sqlite_source

CSV = """path,definition,synonyms,classifications
/Customer,A person who buys,Client|Buyer,
/Customer/Email Address,Login email,Email,PII.Email
/Sales/Order,A purchase,Purchase,
"""


def test_import_list_approve_export(cli: Any, tmp_path: Path) -> None:
    src = tmp_path / "glossary.csv"
    src.write_text(CSV)
    done = cli("glossary", "import", str(src))
    assert done.exit_code == 0, done.output
    assert "3 terms: 3 created, 0 updated, 1 parent(s) added" in done.stdout
    listed = json.loads(cli("glossary", "list", "--json").stdout)
    assert [t["path"] for t in listed["items"]] == [
        "/Customer",
        "/Customer/Email Address",
        "/Sales",
        "/Sales/Order",
    ]
    tree = cli("glossary", "list", "--tree")
    assert tree.exit_code == 0 and "  Email Address" in tree.stdout
    assert cli("glossary", "approve", "/Customer").exit_code == 0
    again = cli("glossary", "approve", "/Customer")
    assert again.exit_code == 1 and "already approved" in again.stderr
    approved = json.loads(cli("glossary", "list", "--status", "approved", "--json").stdout)
    assert [t["path"] for t in approved["items"]] == ["/Customer"]
    out = tmp_path / "out.json"
    assert cli("glossary", "export", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["terms"][0]["synonyms"] == ["Client", "Buyer"]
    as_csv = cli("glossary", "export", "--format", "csv")
    assert as_csv.stdout.startswith("path,definition,synonyms")


def test_bad_files_exit_2_with_one_line(cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("path,status\n/A,final\n")
    result = cli("glossary", "import", str(bad))
    assert result.exit_code == 2 and "line 2" in result.stderr
    assert cli("glossary", "import", str(tmp_path / "missing.csv")).exit_code == 2
    assert cli("glossary", "export", "--format", "xml").exit_code == 2
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("path,definition\n/Caf\u00e9,x\n".encode("latin-1"))
    result = cli("glossary", "import", str(latin1))
    assert result.exit_code == 2 and "not UTF-8 text" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_suggest_link_unlink(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "g.csv").write_text(CSV)
    cli("glossary", "import", str(tmp_path / "g.csv"))
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    assert cli("scan", "shop").exit_code == 0
    suggested = json.loads(cli("glossary", "suggest", "--source", "shop", "--json").stdout)
    pairs = {(i["term_path"], i["qualified_name"]) for i in suggested["items"]}
    assert ("/Customer", "main.customers") in pairs and suggested["suggested"] == len(pairs)
    shown = cli("glossary", "suggest")
    assert shown.exit_code == 0 and "main.customers" in shown.stdout
    rejected = cli("glossary", "reject", "/Sales/Order", "urn:sounding:shop:main.orders")
    assert rejected.exit_code == 0
    after = json.loads(cli("glossary", "suggest", "--json").stdout)
    assert ("/Sales/Order", "main.orders") not in {
        (i["term_path"], i["qualified_name"]) for i in after["items"]
    }
    linked = cli("glossary", "link", "/Sales/Order", "urn:sounding:shop:main.big_orders")
    assert linked.exit_code == 0 and "Linked /Sales/Order" in linked.stdout
    unlinked = cli("glossary", "unlink", "/Sales/Order", "urn:sounding:shop:main.big_orders")
    assert unlinked.exit_code == 0
    missing = cli("glossary", "unlink", "/Sales/Order", "urn:sounding:shop:main.big_orders")
    assert missing.exit_code == 1 and "not linked" in missing.stderr
