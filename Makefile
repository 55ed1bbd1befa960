# aws-de-labs: `make lab` opens the labs, `make test` runs every test. Both set up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NBVAL := --nbval --nbval-current-env --nbval-cell-timeout 300

.PHONY: setup lock mariadb postgresql openssh sandbox kernel java graphviz chromium lab run outputs html exercises lint format typecheck precommit release test test-units test-labs test-notebooks test-series test-alone test-rerun test-browser stop clean-lab help

help:
	@echo "make lab      set up, start localcloud, open JupyterLab at the project root on 00_setup"
	@echo "make test     set up, lint, unit tests, then the notebook checks (nbval, re-runs) side by side"
	@echo "make run      execute every notebook headless (copies in .lab/run/)"
	@echo "make outputs  re-execute notebooks in place (refresh committed outputs)"
	@echo "make html     render the executed notebooks to static pages in .lab/html/ (no re-run)"
	@echo "make lock     re-pin requirements.lock (whole tree, hashes) from pyproject.toml; make setup installs it"
	@echo "make exercises  regenerate exercises/ from the labs' solution cells"
	@echo "make test-browser  run 00_setup in JupyterLab in headless Chromium (screenshot in .lab/artifacts/)"
	@echo "make test-notebooks  nbval: the series in order, and each notebook alone then after a kernel restart"
	@echo "make test-rerun    run every lab twice in a row (zero errors, same end state)"
	@echo "make test-exercises  run every exercise notebook top to bottom (no error, checks say what is missing)"
	@echo "make lint     ruff: lint and format check of the whole tree (notebooks included); notebooks committed executed"
	@echo "make format   ruff: apply the formatter and the safe lint fixes"
	@echo "make typecheck  mypy over the folders pyproject.toml lists ([tool.mypy] files)"
	@echo "make precommit  every pre-commit hook on every file (.pre-commit-config.yaml)"
	@echo "make release  check a release is ready: CHANGELOG.md entry for pyproject's version, clean tree"
	@echo "make stop     stop localcloud and everything it started"

setup: $(STAMP) mariadb postgresql openssh sandbox java graphviz kernel

# The venv is rebuilt when pyproject.toml (the one place versions are pinned) or the lock changes.
# requirements.lock pins the whole tree with hashes (make lock): pip installs exactly it, with no
# resolving, then the course's own packages (editable, built with the locked setuptools).
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv)"; exit 1; fi; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

# Re-pin the whole tree from pyproject.toml (after changing a pin there): every extra, every
# platform, hashes of every file, resolved for the oldest Python the course supports.
# rfc3987-syntax (and lark, its only user) stay out: jsonschema imports it when present, for the
# "iri" formats nothing here checks, and it builds 38 lark parsers on import: about 1 s at the
# start of every pytest, nbval and Jupyter server process.
lock:
	@test -x $(BIN)/uv || { echo "$(BIN)/uv is missing: make setup first (uv is in the dev extra)"; exit 1; }
	$(BIN)/uv pip compile pyproject.toml --all-extras --generate-hashes --universal --python-version 3.11 \
	  --no-emit-package rfc3987-syntax --no-emit-package lark \
	  --custom-compile-command "make lock" -q -o requirements.lock

# Debian's MariaDB server runs the RDS labs' databases on the local target. localcloud needs the
# server and its data-folder initialiser; a MySQL 8 server alone (as on GitHub's Ubuntu runners)
# has no mysql_install_db, so MariaDB is installed then too.
mariadb:
	@if { command -v mariadbd || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]; } >/dev/null && \
	    { command -v mariadb-install-db || command -v mysql_install_db; } >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's mariadb-server (used by the RDS labs on the local target)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null; \
	else echo "NOTE: no MariaDB server found and none installable here; the RDS labs need one (see README)."; fi

# Debian's PostgreSQL server runs the Redshift warehouse on the local target (localcloud/engines/redshift).
postgresql:
	@if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's postgresql (used by the Redshift warehouse on the local target)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "NOTE: no PostgreSQL server found and none installable here; the Redshift warehouse needs one."; fi

# The OpenSSH client: lab 01 prints an ssh command and runs it exactly as printed.
openssh:
	@if command -v ssh >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null; \
	else echo "NOTE: no ssh client found; lab 01's OpenSSH steps need one (install openssh-client)."; fi

# bubblewrap confines what runs "on" an EC2 instance (its own filesystem view, process tree and
# network) and what a Lambda handler starts; OpenSSH's sftp-server serves scp/sftp inside that
# sandbox. Without bubblewrap localcloud refuses SSH sessions rather than run them on this machine.
sandbox:
	@if command -v bwrap >/dev/null && [ -x /usr/lib/openssh/sftp-server ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's bubblewrap and openssh-sftp-server (the sandbox of localcloud's EC2 instances)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap openssh-sftp-server >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap openssh-sftp-server >/dev/null; \
	else echo "NOTE: bubblewrap (bwrap) is missing and not installable here; lab 01's SSH sessions need it (see README)."; fi

# The course kernel: the venv's default python3 kernelspec starts every kernel pointed at localcloud
# on the local target (helpers/kernel.py), so a restarted kernel can never reach a real account.
kernel: $(STAMP)
	@$(BIN)/python -m helpers.kernel install >/dev/null

# Java 17 (Debian's headless JRE) runs local Spark for the Glue job runs (Glue 5.0 runs on Java 17).
java:
	@if command -v java >/dev/null || [ -n "$$JAVA_HOME" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's openjdk-17-jre-headless (runs Spark for the Glue job runs on the local target)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	else echo "NOTE: no Java found and none installable here; Glue glueetl job runs need Java 17 (see README)."; fi

# graphviz's dot draws lab.diagram()'s picture of the live resources (without it: a text list).
graphviz:
	@if command -v dot >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's graphviz (lab.diagram() draws with its dot)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else echo "NOTE: no graphviz (dot) found and none installable here; lab.diagram() shows text only."; fi

# Debian's chromium for the real-browser test (tests/test_browser.py skips cleanly without it).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium (the real-browser test drives it headless)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium with sudo (the real-browser test drives it headless)"; \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "NOTE: /usr/bin/chromium is missing and installing it needs root (apt-get install chromium):" \
	  "tests/test_browser.py will be skipped."; fi

# JupyterLab at the project root with 00_setup in front; its terminals start in the project folder
# with the course's PATH and localcloud variables (tools/jupyter/), so printed commands work there.
# On the local target JupyterLab (its terminals and kernels) starts with localcloud's environment.
LAB_CONFIG := tools/jupyter/jupyter_server_config.py
lab: setup
	$(BIN)/python -m localcloud start
	@if [ "$$(echo "$${LAB_TARGET:-local}" | tr A-Z a-z)" != aws ]; then eval "$$($(BIN)/python -m localcloud env)"; fi; \
	  exec $(BIN)/jupyter lab --config=$(LAB_CONFIG) notebooks/00_setup.ipynb $$([ "$$(id -u)" = 0 ] && echo --allow-root)

run: setup
	$(BIN)/python -m localcloud start
	$(BIN)/python tools/run_notebooks.py

outputs: setup
	$(BIN)/python -m localcloud start
	$(BIN)/python -m localcloud reset
	$(BIN)/python tools/run_notebooks.py --inplace

# Reading without running: the committed (executed) notebooks as static HTML, plus an index.
define HTML_INDEX
import html, json, pathlib
out = pathlib.Path(".lab/html")
items = []
for nb in sorted(pathlib.Path("notebooks").glob("[0-9][0-9]_*.ipynb")):
    cells = json.loads(nb.read_text())["cells"]
    lines = [l for c in cells if c["cell_type"] == "markdown" for l in "".join(c["source"]).splitlines()]
    title = next((l[2:] for l in lines if l.startswith("# ")), nb.stem)
    items.append(f'<li><a href="{nb.stem}.html">{html.escape(title)}</a></li>')
(out / "index.html").write_text('<!doctype html><html lang="en"><meta charset="utf-8"><title>aws-de-labs</title>'
    '<h1>aws-de-labs: the labs, as last executed</h1><ul>' + "".join(items) + "</ul></html>\n")
print(f"{out}/index.html lists {len(items)} notebooks")
endef
export HTML_INDEX

html: setup
	@mkdir -p .lab/html
	$(BIN)/jupyter nbconvert --to html --log-level WARN --output-dir .lab/html notebooks/[0-9][0-9]_*.ipynb
	@$(BIN)/python -c "$$HTML_INDEX"

exercises: setup
	$(BIN)/python tools/exercises.py

# One ruff configuration (pyproject.toml) for code, tests, Lambda handlers and notebooks' code cells.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/check_notebooks.py

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# mypy reads what to check and how strictly from pyproject.toml ([tool.mypy]).
typecheck: setup
	$(BIN)/mypy

# The hooks a commit runs (after `.venv/bin/pre-commit install`), on every file: whitespace,
# JSON/YAML/TOML, large files, ruff, mypy, notebooks. Offline: they call tools in .venv.
precommit: setup
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

# Ready to tag? CHANGELOG.md has a dated section for pyproject.toml's version (and an empty
# [Unreleased]), the tree is clean, the tag is not taken. It prints the tag command; it never tags.
release: setup
	$(BIN)/python tools/check_release.py

# precommit runs every lint, format, type and notebook check (make lint + make typecheck) once.
# Then the unit tests, then the three notebook checks side by side (test-labs). Every pytest
# session, and every pytest-xdist worker (-n), has a private localcloud of its own.
test: setup chromium precommit test-units test-labs

# The test files are spread over UNIT_WORKERS pytest-xdist workers (2 by default: the tests mostly
# wait on servers they start, so two overlap well even on 2 cores), whole files each, the longest
# first (conftest.py LONGEST_FILES; --no-loadscope-reorder keeps that order) so the workers finish
# together; UNIT_WORKERS=0 runs them in this process.
UNIT_WORKERS ?= 2
test-units:
	$(BIN)/python -m pytest tests/ -q -m "not exercise_notebook" -n $(UNIT_WORKERS) --dist loadfile --no-loadscope-reorder --durations=5

# Also part of test-units (it skips without chromium); alone here, with the skip reason shown.
test-browser: setup chromium
	$(BIN)/python -m pytest tests/test_browser.py -q -rs

# The notebook checks at once (-Otarget: each one's output is printed whole when it ends):
# the series in order, each notebook alone (then again after a restart), every lab twice in a row,
# and every exercise notebook from top to bottom with its placeholders.
test-labs:
	@$(MAKE) --no-print-directory -j4 -Otarget test-series test-alone test-rerun test-exercises

# Each exercise notebook runs without errors and its checks say what is still missing.
test-exercises: setup
	$(BIN)/python -m pytest tests/test_exercises.py -m exercise_notebook -q --durations=2

# The whole series in order (strict: seeded ids and lab.require lines compared exactly), and each
# notebook on its own: localcloud reset before it (its own, looser sanitize file), every cell before
# `## Clean up` compared, a kernel restart and those cells again (zero errors), then the clean-up
# cells compared (the end state of a re-run is the committed one). LAB_WORKERS notebooks at a time.
LAB_WORKERS ?= 2
test-notebooks:
	@$(MAKE) --no-print-directory -j2 -Otarget test-series test-alone

test-series:
	$(BIN)/python -m pytest $(NBVAL) --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/ -q

test-alone:
	$(BIN)/python -m pytest $(NBVAL) --nbval-sanitize-with tests/nbval_sanitize_fresh_each.cfg --lab-fresh-each \
	  -n $(LAB_WORKERS) --dist loadfile notebooks/ -q

# Every lab run twice in a row (series order, no reset): zero errors, and the same end state
# (tests/test_rerun_labs.py).
test-rerun: setup
	$(BIN)/python -m pytest tests/test_rerun_labs.py --lab-rerun -q --durations=2

stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m localcloud stop; fi
