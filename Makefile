# Two commands matter: `make run` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-scale test-integrator lint chaos services test-tools console-screenshots console-assets bench bench-quick bench-tools bench-chart clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The local sandbox (docs/sandbox.md): the control API and the driven clock; webhooks may call
# receivers on this machine (`massdm webhooks listen`).
run: install
	$(BIN)/massdm demo
	$(BIN)/massdm serve --sandbox --allow-private-webhooks

# The whole suite on the embedded default (SQLite; Redis only for the tests of several API processes),
# in PYTEST_WORKERS processes (pytest-xdist): every test has its own database, directory and ports, and
# much of the suite waits on servers and subprocesses, so two workers on two cores take well under half
# the time. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
PYTEST = $(BIN)/python -m pytest -n $(PYTEST_WORKERS)
# The console's browser tests (Playwright driving Chromium) run in a pytest process of their own, after
# the rest: Playwright's driver, its pipes and its event loop then never share a process with the tests
# that open sockets and run event loops of their own.
BROWSER_TESTS = tests/console/test_browser_*.py
test: install test-tools services
	$(PYTEST) --ignore-glob='$(BROWSER_TESTS)'
	$(BIN)/python -m pytest $(BROWSER_TESTS)

# The testing kit's example project (examples/integrator, docs/testing.md) as a user installs it: a fresh
# virtual environment under a temporary folder, massdm by path (not editable) with the official SDK, then
# the project's own suite, which only massdm's pytest plugin serves. Prints its time. The working tree is
# copied to <tmp>/massdm first and installed from there: pip keeps wheels it built from a folder whose name
# looks like name-version (a clone in "massdm-ci", say) and would install that stale one next time.
test-integrator:
	@set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	mkdir "$$scratch/massdm"; git ls-files -z -co --exclude-standard | tar -c --null -T - --ignore-failed-read \
	  | tar -x -C "$$scratch/massdm"; \
	echo "installing examples/integrator into a fresh virtual environment ($$scratch/venv)"; \
	$(PYTHON) -m venv "$$scratch/venv"; \
	"$$scratch/venv/bin/python" -m pip install --quiet "$$scratch/massdm/examples/integrator[test]"; \
	cd "$$scratch/massdm/examples/integrator"; started=$$(date +%s%N); \
	"$$scratch/venv/bin/pytest" -p no:cacheprovider; \
	echo "examples/integrator: suite ran in $$(( ($$(date +%s%N) - started) / 1000000 )) ms, server start included"

# Style and types (configured in pyproject.toml), and the layering rules: those are a test of the
# suite (tests/test_architecture.py), so `make test` checks them too. All three run, each reporting
# everything it finds; lint fails if any of them did.
lint: install
	@status=0; \
	echo "ruff check massdm tests bench"; $(BIN)/ruff check massdm tests bench || status=1; \
	echo "mypy massdm"; $(BIN)/mypy massdm || status=1; \
	echo "pytest tests/test_architecture.py"; $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_architecture.py || status=1; \
	exit $$status

# The whole suite again on PostgreSQL + Redis: each test gets its own schema and Redis prefix,
# and end-to-end tests run against `serve --workers 2` plus two `massdm worker` processes.
SCALE_DATABASE ?= postgresql://postgres@127.0.0.1:5432/test
SCALE_REDIS ?= redis://127.0.0.1:6379/0
test-scale: install test-tools services
	MASSDM_TEST_DATABASE=$(SCALE_DATABASE) MASSDM_TEST_REDIS=$(SCALE_REDIS) $(PYTEST) --ignore-glob='$(BROWSER_TESTS)'
	MASSDM_TEST_DATABASE=$(SCALE_DATABASE) MASSDM_TEST_REDIS=$(SCALE_REDIS) $(BIN)/python -m pytest $(BROWSER_TESTS)

# The crash, load and outage tests (tests/e2e: crash_idempotency, overload, starvation, redis_outage,
# hostile_bodies, database_outage) at CHAOS_SCALE times their CI sizes, on SQLite and then on PostgreSQL + Redis: minutes, not seconds.
CHAOS_SCALE ?= 10
CHAOS_TESTS = tests/e2e/test_crash_idempotency.py tests/e2e/test_overload.py tests/e2e/test_starvation.py \
	tests/e2e/test_redis_outage.py tests/e2e/test_hostile_bodies.py tests/e2e/test_database_outage.py
chaos: install test-tools services
	MASSDM_CHAOS_SCALE=$(CHAOS_SCALE) $(BIN)/python -m pytest $(CHAOS_TESTS)
	MASSDM_CHAOS_SCALE=$(CHAOS_SCALE) MASSDM_TEST_DATABASE=$(SCALE_DATABASE) MASSDM_TEST_REDIS=$(SCALE_REDIS) \
	  $(BIN)/python -m pytest $(CHAOS_TESTS)

# PostgreSQL and Redis on this machine, started if they are not running (DEVELOPERS.md).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; }
	@for i in $$(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done; pg_isready -h 127.0.0.1 -p 5432
	@for i in $$(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done; redis-cli -h 127.0.0.1 -p 6379 ping

# The media tests make and measure real video and audio with ffmpeg/ffprobe (Debian's ffmpeg).
# massdm itself runs without them (video/audio then get duration 0 and no poster).
# The console's browser tests drive Debian's headless Chromium (/usr/bin/chromium) with Playwright.
test-tools:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  echo "installing ffmpeg for the media tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg; }
	@test -x /usr/bin/chromium || { echo "installing chromium for the console's browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

# docs/console/*.png: the screenshots docs/console.md shows, taken by the console's browser tests.
console-screenshots: install test-tools
	MASSDM_CONSOLE_SCREENSHOTS=docs/console $(BIN)/python -m pytest -q -p no:cacheprovider tests/console -k browser

# Refresh the console's vendored htmx and Pico CSS (massdm/console/static/vendor/README.md); needs npm,
# a developer's tool only: users never run it.
console-assets:
	@set -e; tmp=$$(mktemp -d); cd $$tmp; npm pack -q htmx.org@2.0.11 @picocss/pico@2.1.1 >/dev/null; \
	  for f in *.tgz; do tar xzf $$f; mv package $${f%.tgz}; done; cd - >/dev/null; \
	  cp $$tmp/htmx.org-2.0.11/dist/htmx.min.js massdm/console/static/vendor/htmx-2.0.11.min.js; \
	  cp $$tmp/picocss-pico-2.1.1/css/pico.min.css massdm/console/static/vendor/pico-2.1.1.min.css; \
	  rm -rf $$tmp; sha256sum massdm/console/static/vendor/*.js massdm/console/static/vendor/*.css

# Benchmarks: each measures massdm and a baseline in the same run and prints the ratio (a table, then
# one JSON line). Not part of `make test`; `make bench-quick` is CI's smoke check that they still run.
bench: install bench-tools services
	$(BIN)/python bench/run.py

bench-quick: install bench-tools services
	$(BIN)/python bench/run.py --quick

# docs/benchmarks-fanout.png: fan-out time against audience size on SQLite and PostgreSQL.
bench-chart: install bench-tools services
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/chart.py --out docs/benchmarks-fanout.png

bench-tools:
	@command -v wrk >/dev/null || { echo "installing wrk for the benchmarks"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; }

clean:
	rm -rf $(VENV) massdm.db massdm.db-wal massdm.db-shm media .pytest_cache
