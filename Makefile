# From SGD to Adam: the two commands a reader needs are `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BOOK   := $(VENV)/bin/jupyter-book
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help book test unit nbval build-strict lab execute test-torch check-site check-lab clean clean-all

help:
	@echo "make book        build the website into _build/html (creates .venv if needed)"
	@echo "make test        unit tests, strict nbval of every chapter, strict book build"
	@echo "make lab         open the chapters in JupyterLab"
	@echo "make execute     re-run every chapter in place (before committing a change)"
	@echo "make test-torch  also compare optimlib with torch.optim itself (installs torch)"
	@echo "make check-site  open every built page in headless Chromium and check it"
	@echo "make check-lab   run every chapter in JupyterLab and drag each explorer's slider"
	@echo "make clean       remove _build (and .venv with 'make clean-all')"

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

test: unit nbval build-strict

unit: $(STAMP)
	$(PY) -m pytest tests -q --ignore=tests/site

nbval: $(STAMP)
	$(PY) -m pytest $(NBVAL) chapters -q -p no:cacheprovider

# From scratch (and --all): a stale build must not hide warnings of pages it did not
# re-read, nor keep pages that no longer exist.
build-strict: $(STAMP)
	rm -rf _build
	$(BOOK) build . --all -W -n --keep-going
	$(PY) -m pytest tests/site -q -p no:cacheprovider

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/

execute: $(STAMP)
	$(PY) tests/execute_chapters.py

test-torch: $(STAMP)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pytest tests/test_against_torch.py -q

# Needs Debian's chromium (apt-get install chromium); run after `make book`.
check-site: $(STAMP)
	$(PY) tests/site/check_site.py _build/html

# Needs chromium too; installs Playwright (a test tool only) into .venv. Does not save notebooks.
check-lab: $(STAMP)
	$(PY) -m pip install --quiet playwright==1.65.2
	$(PY) tests/site/check_lab.py

clean:
	rm -rf _build

clean-all: clean
	rm -rf $(VENV)
