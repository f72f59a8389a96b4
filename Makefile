# Two commands matter: `make run` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-tools bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/massdm demo
	$(BIN)/massdm serve

test: install test-tools
	$(BIN)/python -m pytest

# The media tests make and measure real video and audio with ffmpeg/ffprobe (Debian's ffmpeg).
# massdm itself runs without them (video/audio then get duration 0 and no poster).
test-tools:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  echo "installing ffmpeg for the media tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg; }

# Benchmarks print ratios against a baseline measured in the same run; they are not part of `make test`.
bench: install
	$(BIN)/python bench/delivery.py

clean:
	rm -rf $(VENV) massdm.db massdm.db-wal massdm.db-shm media .pytest_cache
