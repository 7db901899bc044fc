# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_HOME ?= .sounding-demo
# `make demo PORT=8600 HOST=0.0.0.0`: where the demo serves (default SOUNDING_PORT/HOST or 8585)
PORT ?=
HOST ?=

.PHONY: install demo test audit audit-or-warn lint types layers pytest bench clean vendor

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/sounding demo --home $(DEMO_HOME) $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

test: $(STAMP) audit-or-warn lint types layers pytest

# Known vulnerabilities of the installed dependencies (pip-audit against PyPI's data; the
# editable sounding itself is skipped): fails on one with a fixed release, and fails loudly
# when the check cannot complete.
audit: $(STAMP)
	$(PY) tools/audit_deps.py

# what `make test` runs: a fixable vulnerability fails; vulnerability data that cannot be
# reached is a loud warning (see tools/audit_deps.py), not a silent pass
audit-or-warn: $(STAMP)
	$(PY) tools/audit_deps.py --allow-unavailable

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

types: $(STAMP)
	$(VENV)/bin/mypy

layers: $(STAMP)
	$(VENV)/bin/lint-imports

# two pytest-xdist workers, one per core of the CI machine: each test file runs on one worker
# (its module fixtures, such as a served store, start once); 13.7 min against 21.4 serially
# (docs/development.md). `make pytest PYTEST_WORKERS=0` runs serially.
# The suite starts hundreds of `sounding serve` and CLI processes: compiling src first lets each
# of them load bytecode, as an installed Sounding does, even where PYTHONDONTWRITEBYTECODE is
# set (without it, every such process compiled every module it imported: 0.4 s a server start).
PYTEST_WORKERS ?= 2
pytest: $(STAMP)
	$(PY) -m compileall -q src
	$(VENV)/bin/pytest -q --durations=15 -n $(PYTEST_WORKERS) --dist loadfile

# refresh the vendored browser assets (Swagger UI, the web UI's htmx/Cytoscape.js, the tests'
# axe-core) with npm pack; versions pinned in tools/vendor_assets.py (see docs/development.md)
vendor: $(STAMP)
	$(PY) tools/vendor_assets.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .mypy_cache .ruff_cache
