# From SGD to Adam: the two commands a reader needs are `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BOOK   := $(VENV)/bin/jupyter-book
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Test tools that are not course requirements (torch) go into a second
# environment, so that .venv holds exactly requirements.txt and its freeze stays clean.
EXTRAS    := $(VENV)/extras
EXTRAS_PY := $(EXTRAS)/bin/python
EXTRAS_STAMP := $(EXTRAS)/.installed
# JupyterLab refuses to start as root unless told to (containers, some WSL set-ups).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: help book test unit nbval build-strict browser bench lab execute sync-setup test-torch check-site check-lab clean clean-all

help:
	@echo "make book        build the website into _build/html (creates .venv if needed)"
	@echo "make test        unit tests, strict nbval of every chapter, strict book build,"
	@echo "                 then every page in headless Chromium (screenshots: _build/screenshots)"
	@echo "make bench       the speed table: explorers, sweeps, optimizer steps, chapters"
	@echo "make lab         open the chapters in JupyterLab"
	@echo "make execute     re-run every chapter in place (before committing a change)"
	@echo "make sync-setup  write the Colab set-up lines of every chapter from _config.yml"
	@echo "make test-torch  also compare optimlib with torch.optim itself (installs torch)"
	@echo "make check-site  open every built page in headless Chromium and check it"
	@echo "make check-lab   run every chapter in JupyterLab and drag each explorer's slider"
	@echo "make clean       remove _build (and .venv, extras included, with 'make clean-all')"

# The virtual environment, (re)built when requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(BOOK) build .
	@echo ""
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

test: unit nbval build-strict browser

unit: $(STAMP)
	$(PY) -m pytest tests -q --ignore=tests/site --ignore=tests/browser

nbval: $(STAMP)
	$(PY) -m pytest $(NBVAL) chapters -q -p no:cacheprovider

# From scratch (and --all): a stale build must not hide warnings of pages it did not
# re-read, nor keep pages that no longer exist.
build-strict: $(STAMP)
	rm -rf _build
	$(BOOK) build . --all -W -n --keep-going
	$(PY) -m pytest tests/site -q -p no:cacheprovider

# The built site in a real browser (Debian's chromium; Playwright is in requirements.txt).
# Without chromium the tests are skipped with a message, except under CI=true.
browser: $(STAMP)
	$(PY) -m pytest tests/browser -q -p no:cacheprovider -rs

# Timings against the targets of benchmarks/README.md; never fails.
bench: $(STAMP)
	-$(PY) benchmarks/bench.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/ $(ALLOW_ROOT)

# Writes the Colab set-up lines from _config.yml first (as sync-setup does), then runs.
execute: $(STAMP)
	$(PY) tests/execute_chapters.py

sync-setup: $(STAMP)
	$(PY) tests/publish_settings.py

# The extras environment: the course's requirements plus test-only tools.
$(EXTRAS_STAMP): requirements.txt pyproject.toml $(STAMP)
	test -x $(EXTRAS_PY) || $(PY) -m venv --clear $(EXTRAS)
	$(EXTRAS_PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(EXTRAS_STAMP)

test-torch: $(EXTRAS_STAMP)
	$(EXTRAS_PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(EXTRAS_PY) -m pytest tests/test_against_torch.py -q

# Needs Debian's chromium (apt-get install chromium); run after `make book`.
check-site: $(STAMP)
	$(PY) tests/site/check_site.py _build/html

# Needs chromium too (Playwright comes with requirements.txt). Does not save notebooks.
check-lab: $(STAMP)
	$(PY) tests/site/check_lab.py

clean:
	rm -rf _build

clean-all: clean
	rm -rf $(VENV)
