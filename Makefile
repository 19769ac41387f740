# Créneau — the two commands: `make run` and `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
             && { command -v $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_DIR ?= ../shared/benchmarks/curtois
BENCH_TIME ?= 60
PYTEST_ARGS ?=

.PHONY: install run test bench bench-roster bench-booking bench-video bench-load bench-demo-roster lint messages clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Créneau needs Python 3.11 or newer (python3.11 not found)."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/creneau db upgrade
	$(BIN)/creneau demo load --if-empty
	$(BIN)/creneau slots generate --if-missing
	$(BIN)/creneau serve --host $(HOST) --port $(PORT)

test: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install bench-roster bench-demo-roster bench-booking bench-video bench-load

bench-roster: install
	@mkdir -p bench-results
	$(BIN)/creneau bench roster $(BENCH_DIR) --time-limit $(BENCH_TIME) --workers 2 --json bench-results/roster.json

lint: install
	$(BIN)/ruff check planner solver telecon web tests
	$(BIN)/lint-imports

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k gettext_ -k ngettext_:1,2 -k N_ --no-location \
	  --sort-output -o web/locales/messages.pot .
	$(BIN)/pybabel update -i web/locales/messages.pot -d web/locales -l fr --no-location -w 100

clean:
	rm -rf $(VENV) var bench-results .pytest_cache

# Booking: a year of data for 50 clinicians on SQLite; free-slots and booking p50/p99, HTTP throughput.
bench-booking: install
	@mkdir -p bench-results
	$(BIN)/python -m web.booking_bench --json bench-results/booking.json

# Video: server CPU per two-way consultation and how many run at 25 fps or more (127.0.0.1 only).
bench-video: install
	@mkdir -p bench-results
	$(BIN)/python -m telecon.bench | tee bench-results/video.txt

# Load: booking pages and API at 1, 4, 16, 64 clients on PostgreSQL with --workers 2 (and Redis),
# 127.0.0.1 only; then no double booking. Skipped with a message when PostgreSQL or Redis is missing.
bench-load: install
	@mkdir -p bench-results
	$(BIN)/python -m web.load_bench --json bench-results/load.json

# The demo's nursing team over 4 weeks: proven optimal, target under 10 s.
bench-demo-roster: install
	@mkdir -p bench-results
	$(BIN)/python -m planner.rostering.bench_demo --runs 3 | tee bench-results/demo-roster.json
