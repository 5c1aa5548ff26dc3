# kbdesk: `make demo` runs the app with demo data, `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
# pytest exits 5 when it collects no tests; that is not a failure of the suite.
PYTEST = $(BIN)/pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]

.PHONY: install demo test test-sqlite test-postgres lint translations clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/kbdesk demo

lint: install
	$(BIN)/ruff check kbdesk tests bench migrations

test-sqlite: install
	$(PYTEST)

test-postgres: install
	KBDESK_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST)

test: lint test-sqlite test-postgres

translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k _tr -o kbdesk/translations/messages.pot .
	$(BIN)/pybabel -q update -i kbdesk/translations/messages.pot -d kbdesk/translations
	$(BIN)/pybabel -q compile -d kbdesk/translations

clean:
	rm -rf $(VENV) instance
