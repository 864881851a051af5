# The two commands a fresh clone needs: `make run` and `make test`.
PYTHON ?= python3
# uv on PATH, else the copy pip installed for this Python.
UV = $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: bootstrap install run test lint monitoring format worker beat curriculum messages

bootstrap:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet uv

install: bootstrap
	@echo "Installing dependencies…"
	@$(UV) sync --frozen --quiet

# Says what it does at each step. `setup` migrates (a new SQLite database in seconds, see
# typingtrainer/firstrun.py) and loads the curriculum in one process; it writes the bytecode of
# what it imports even where PYTHONDONTWRITEBYTECODE is set, so runserver's two processes do not
# compile the dependencies again.
run: install
	@PYTHONDONTWRITEBYTECODE= $(UV) run python manage.py setup
	@echo "Serving at http://$(HOST):$(PORT)"
	@$(UV) run python manage.py runserver $(HOST):$(PORT)

test: install
	@command -v chromium >/dev/null 2>&1 || echo "Chromium is not installed: browser tests will be skipped (CI installs it)."
	$(UV) run pytest $(PYTEST_ARGS)
	node --test static/js/typing/

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy .
	$(UV) run djlint templates --lint
	$(UV) run check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml
	@if command -v promtool >/dev/null 2>&1; then $(MAKE) --no-print-directory monitoring; \
	else echo "promtool is not installed: ops/prometheus is not checked (CI installs it: apt-get install prometheus)."; fi

# The Prometheus rules, their unit tests and the sample scrape config (the token file it names
# exists only on a monitoring host, so its config is checked for syntax; the tests check it all).
monitoring:
	promtool check rules ops/prometheus/alerts.yml
	promtool test rules ops/prometheus/alerts.test.yml
	promtool check config --syntax-only ops/prometheus/prometheus.yml

format: install
	$(UV) run ruff check --fix .
	$(UV) run ruff format .
	$(UV) run djlint templates --reformat --quiet || true

worker: install
	$(UV) run celery -A typingtrainer worker

beat: install
	$(UV) run celery -A typingtrainer beat

curriculum: install
	$(UV) run python -m courses.curriculum.build

# The Russian translation (locale/ru): collect every marked string of the templates, Python
# (django.po) and the widget's JavaScript (djangojs.po), keeping what is translated; translate
# the new entries (typingtrainer/tests/test_translations.py lists them), then run this again to
# compile the .mo files the site reads. Needs GNU gettext (apt-get install gettext).
MESSAGES_IGNORE = --ignore=.venv --ignore=node_modules --ignore=var --ignore=static/vendor \
	--ignore=bench --ignore=tests --ignore=test-results
messages: install
	$(UV) run python manage.py makemessages --locale=ru --add-location=file $(MESSAGES_IGNORE)
	$(UV) run python manage.py makemessages --domain=djangojs --locale=ru --add-location=file \
		$(MESSAGES_IGNORE)
	$(UV) run python manage.py compilemessages --locale=ru $(MESSAGES_IGNORE)
