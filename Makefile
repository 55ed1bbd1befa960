# aws-de-labs: `make lab` opens the labs, `make test` runs every test. Both set up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 300

.PHONY: setup mariadb openssh chromium lab run outputs html exercises test test-units test-notebooks test-browser stop clean-lab help

help:
	@echo "make lab      set up, start localcloud, open JupyterLab on notebooks/"
	@echo "make test     set up, run unit tests, then nbval over every notebook"
	@echo "make run      execute every notebook headless (copies in .lab/run/)"
	@echo "make outputs  re-execute notebooks in place (refresh committed outputs)"
	@echo "make html     render the executed notebooks to static pages in .lab/html/ (no re-run)"
	@echo "make exercises  regenerate exercises/ from the labs' solution cells"
	@echo "make test-browser  run 00_setup in JupyterLab in headless Chromium (screenshot in .lab/artifacts/)"
	@echo "make stop     stop localcloud and everything it started"

setup: $(STAMP) mariadb openssh

# The venv is rebuilt when pyproject.toml (the one place versions are pinned) changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv)"; exit 1; fi; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

# Debian's MariaDB server runs the RDS labs' databases on the local target.
mariadb:
	@if command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's mariadb-server (used by the RDS labs on the local target)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null; \
	else echo "NOTE: no MariaDB server found and none installable here; the RDS labs need one (see README)."; fi

# The OpenSSH client: lab 01 prints an ssh command and runs it exactly as printed.
openssh:
	@if command -v ssh >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null; \
	else echo "NOTE: no ssh client found; lab 01's OpenSSH steps need one (install openssh-client)."; fi

# Debian's chromium for the real-browser test (tests/test_browser.py skips cleanly without it).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium (the real-browser test drives it headless)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "NOTE: /usr/bin/chromium is missing and installing it needs root (apt-get install chromium):" \
	  "tests/test_browser.py will be skipped."; fi

lab: setup
	$(BIN)/python -m localcloud start
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

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

test: setup chromium test-units test-notebooks

test-units:
	$(BIN)/python -m pytest tests/ -q

# Also part of test-units (it skips without chromium); alone here, with the skip reason shown.
test-browser: setup chromium
	$(BIN)/python -m pytest tests/test_browser.py -q -rs

# The whole series in order, then each notebook on its own (localcloud reset before each).
test-notebooks:
	$(BIN)/python -m pytest $(NBVAL) notebooks/ -q
	$(BIN)/python -m pytest $(NBVAL) --lab-fresh-each notebooks/ -q

stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m localcloud stop; fi
