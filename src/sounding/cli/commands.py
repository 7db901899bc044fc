"""The top-level commands of ``sounding``: name, module, attribute and one-line help.

``cli/app.py`` builds the root group from :data:`COMMANDS` and imports a command's module only
when it runs. A new command (or a feature's ``cli/<feature>_cmd.py``) is one entry here; the
app file does not change. ``tests/cli/test_startup.py`` checks each entry's help against its
module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LazyCommand:
    """Where a top-level command lives: ``module.attr`` is a Typer app or a command function."""

    module: str
    attr: str
    help: str


COMMANDS: dict[str, LazyCommand] = {
    "serve": LazyCommand(
        "sounding.cli.core",
        "serve",
        "Serve the REST API on the store in SOUNDING_DATABASE_URL (default: SOUNDING_HOME).",
    ),
    "demo": LazyCommand(
        "sounding.cli.core",
        "demo",
        "Build the demo workspace (warehouse + files), scan it, and serve it.",
    ),
    "scan": LazyCommand(
        "sounding.cli.sources_cmd",
        "scan",
        "Scan a source: discovery, then profiling and classification when asked (or when the "
        "source's options make them its default).",
    ),
    "profile": LazyCommand(
        "sounding.cli.classify_cmd", "profile", "Show an asset's newest profile."
    ),
    "source": LazyCommand("sounding.cli.sources_cmd", "app", "Register and manage data sources."),
    "assets": LazyCommand(
        "sounding.cli.assets_cmd", "app", "Browse the catalog, tag and curate its assets."
    ),
    "catalog": LazyCommand(
        "sounding.cli.catalog_cmd",
        "app",
        "Export and import the curated catalog (owners, tags, terms, manual assets, ...).",
    ),
    "lineage": LazyCommand(
        "sounding.cli.lineage_cmd",
        "app",
        "Parse SQL for lineage, ingest it, and explore the lineage graph.",
    ),
    "classifications": LazyCommand(
        "sounding.cli.classify_cmd", "classifications_app", "Sensitive-data labels on columns."
    ),
    "rules": LazyCommand("sounding.cli.classify_cmd", "rules_app", "Custom scan rule sets."),
    "compliance": LazyCommand(
        "sounding.cli.compliance_cmd",
        "app",
        "Compliance frameworks (GDPR, CCPA, HIPAA, PCI DSS) and findings.",
    ),
    "glossary": LazyCommand(
        "sounding.cli.glossary_cmd",
        "app",
        "The business glossary: terms, links to assets, suggestions.",
    ),
    "subscribe": LazyCommand(
        "sounding.cli.alerts_cmd",
        "subscribe",
        "Subscribe to an asset, a domain, a source, a saved search or a workflow.",
    ),
    "subscriptions": LazyCommand(
        "sounding.cli.alerts_cmd",
        "subscriptions_app",
        "Your subscriptions: list or delete them (subscribe with `sounding subscribe`).",
    ),
    "inbox": LazyCommand(
        "sounding.cli.alerts_cmd",
        "inbox",
        "Your notifications, newest first (--read-all marks them read).",
    ),
    "domains": LazyCommand(
        "sounding.cli.domains_cmd",
        "app",
        "Domains: named, owned areas of the business that assets belong to.",
    ),
    "products": LazyCommand(
        "sounding.cli.products_cmd",
        "app",
        "Data products: owned, versioned bundles of assets with input and output ports.",
    ),
    "collections": LazyCommand(
        "sounding.cli.collections_cmd",
        "app",
        "Collections: named lists of assets (bookmarks) you keep and may share.",
    ),
    "tags": LazyCommand(
        "sounding.cli.tags_cmd",
        "app",
        "The tag taxonomy: tag groups (tier.gold) and who may apply them.",
    ),
    "properties": LazyCommand(
        "sounding.cli.properties_cmd",
        "app",
        "Custom properties: typed properties (string, number, enum, date, user, url) of assets.",
    ),
    "workflow": LazyCommand(
        "sounding.cli.workflow_cmd", "workflow_app", "Define and run scan workflows."
    ),
    "search": LazyCommand(
        "sounding.cli.search_cmd",
        "app",
        "Search the catalog: sounding search WORDS [--type T] ...",
    ),
    "template": LazyCommand(
        "sounding.cli.insights_cmd", "template_app", "Built-in workflow templates."
    ),
    "insights": LazyCommand(
        "sounding.cli.insights_cmd",
        "insights_app",
        "Forecasts, anomalies, recommendations and analytics from execution history.",
    ),
    "usage": LazyCommand(
        "sounding.cli.usage_cmd",
        "usage_app",
        "Asset usage: query-log ingestion and per-asset usage.",
    ),
    "analytics": LazyCommand(
        "sounding.cli.usage_cmd", "analytics_app", "Catalog analytics (counts, coverage, usage)."
    ),
    "execution": LazyCommand(
        "sounding.cli.workflow_cmd", "execution_app", "Watch and control workflow executions."
    ),
    "user": LazyCommand("sounding.cli.users_cmd", "user_app", "Manage users."),
    "token": LazyCommand("sounding.cli.users_cmd", "token_app", "Manage API tokens."),
    "audit": LazyCommand("sounding.cli.users_cmd", "audit_app", "Read the audit log."),
    "policies": LazyCommand(
        "sounding.cli.policies_cmd",
        "app",
        "Access policies: a role's permissions on a domain, source or data product.",
    ),
    "quality": LazyCommand(
        "sounding.cli.quality_cmd", "app", "Data quality rules, runs, scores and reports."
    ),
    "channels": LazyCommand(
        "sounding.cli.channels_cmd",
        "app",
        "Alert channels (webhook, Slack, e-mail) and the delivery log.",
    ),
    "pool": LazyCommand(
        "sounding.cli.pool_cmd",
        "pool_app",
        "Pools: slots that workflow steps with `pool: NAME` share.",
    ),
    "db": LazyCommand(
        "sounding.cli.db_cmd",
        "db_app",
        "The store's schema (check it is current, upgrade it) and its history (prune it).",
    ),
    "backup": LazyCommand(
        "sounding.cli.db_cmd",
        "backup",
        "Write a consistent copy of the SQLite store to FILE (safe while the server runs).",
    ),
    "restore": LazyCommand(
        "sounding.cli.db_cmd",
        "restore",
        "Restore a backup into an empty SOUNDING_HOME (--force replaces an existing store).",
    ),
}
