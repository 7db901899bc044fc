"""MySQL / MariaDB sources, against a real server: exact discovery of a small, awkward schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sounding.domain.assets import AssetType, ForeignKeyRef, ObjectRef
from tests.connectors.helpers import columns_of, discover, open_source

pytestmark = pytest.mark.mysql

DDL = [
    """CREATE TABLE customers (
        id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
        email varchar(200) NOT NULL COMMENT 'Primary contact',
        status varchar(10) DEFAULT 'new',
        score decimal(10,2) NULL
    ) ENGINE=InnoDB COMMENT='People who buy'""",
    """CREATE TABLE `quo"te` (
        `Ünïcødé` int NOT NULL,
        `with space` varchar(5) NOT NULL,
        `has.dot` int NULL,
        customer_id int NULL,
        PRIMARY KEY (`with space`, `Ünïcødé`),
        CONSTRAINT `fk odd` FOREIGN KEY (customer_id) REFERENCES customers (id)
    ) ENGINE=InnoDB""",
    "CREATE TABLE `Mixed Case` (x int)",
    "CREATE TABLE gone (x int)",
    "CREATE VIEW `broken view` AS SELECT x FROM gone",
    "CREATE TABLE `a:b` (x int)",
    "CREATE VIEW `50% off` AS SELECT x FROM gone",
    "CREATE VIEW `active customers` AS SELECT id, email FROM customers WHERE status <> 'gone'",
    "DROP TABLE gone",
    "INSERT INTO customers (email) VALUES ('a@example.com'), ('b@example.com')",
]


@pytest.fixture
def mysql_source_url(mysql_url: str) -> str:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        for statement in DDL:  # no_parameters: '%' in names is not a placeholder
            conn.execution_options(no_parameters=True).exec_driver_sql(statement)
    engine.dispose()
    return mysql_url


def test_discovers_tables_views_keys_and_comments_exactly(mysql_source_url: str) -> None:
    db = sa.make_url(mysql_source_url).database
    assert db is not None
    with open_source(mysql_source_url.replace("mysql+pymysql://", "mariadb://")) as source:
        assert source.container_types == (AssetType.DATABASE,)
        facts = source.test()
        refs = source.list_objects()
        found, failed = discover(source, refs)

    assert facts["databases"] == [db]
    assert facts["dialect"] in ("mariadb", "mysql")
    assert refs == [
        ObjectRef(AssetType.VIEW, (db, "50% off")),
        ObjectRef(AssetType.TABLE, (db, "Mixed Case")),
        ObjectRef(AssetType.TABLE, (db, "a:b")),
        ObjectRef(AssetType.VIEW, (db, "active customers")),
        ObjectRef(AssetType.VIEW, (db, "broken view")),
        ObjectRef(AssetType.TABLE, (db, "customers")),
        ObjectRef(AssetType.TABLE, (db, 'quo"te')),
    ]

    # the view over a dropped table fails alone, with the server's reason
    assert list(failed) == [(db, "50% off"), (db, "broken view")]
    assert "references invalid table" in failed[db, "broken view"].error
    assert "50% off" in failed[db, "50% off"].error
    assert len(found) == 5

    customers = found[db, "customers"]
    assert columns_of(customers) == [
        ("id", "int(11)", False, 1, None, True, None),
        ("email", "varchar(200)", False, 2, None, False, "Primary contact"),
        ("status", "varchar(10)", True, 3, "'new'", False, None),
        ("score", "decimal(10,2)", True, 4, None, False, None),
    ]
    assert customers.primary_key == ("id",)
    assert customers.comment == "People who buy"
    assert customers.row_count is not None and not customers.row_count_exact
    assert customers.size_bytes is not None and customers.size_bytes > 0
    assert customers.properties == {"engine": "InnoDB"}

    quote = found[db, 'quo"te']
    assert [c.name for c in quote.columns] == ["Ünïcødé", "with space", "has.dot", "customer_id"]
    assert quote.primary_key == ("with space", "Ünïcødé")
    assert [c.name for c in quote.columns if c.is_primary_key] == ["Ünïcødé", "with space"]
    assert quote.foreign_keys == (
        ForeignKeyRef(("customer_id",), (db, "customers"), ("id",), "fk odd"),
    )

    view = found[db, "active customers"]
    assert [(c.name, c.data_type) for c in view.columns] == [
        ("id", "int(11)"),
        ("email", "varchar(200)"),
    ]
    assert view.view_sql is not None and "'gone'" in view.view_sql
    assert view.row_count is None and view.comment is None


def test_without_a_database_every_user_database_is_scanned(mysql_source_url: str) -> None:
    db = sa.make_url(mysql_source_url).database
    server_url = sa.make_url(mysql_source_url).set(database=None)
    with open_source(server_url.render_as_string(hide_password=False)) as source:
        facts = source.test()
        refs = source.list_objects()
    assert db in facts["databases"]
    assert not {"mysql", "information_schema", "performance_schema", "sys"} & set(
        facts["databases"]
    )
    assert ObjectRef(AssetType.TABLE, (db, "customers")) in refs
