# vidgen: `make demo` makes a video offline; `make test` runs the suite. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROMPT ?= Create a 30-second Nike ad
HOST ?= 127.0.0.1
UI_HOST ?= 127.0.0.1
API_PORT ?= 8000
UI_PORT ?= 3000
export VIDGEN_HOME ?= $(CURDIR)/.vidgen
export DAGSTER_HOME ?= $(VIDGEN_HOME)/dagster

CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test test-fast lint ui bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(STAMP)

$(CHROMIUM):  ## Debian's Chromium, for the browser test of the Dagster UI (Playwright drives it, never downloads one)
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
	  || ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

$(CJK_FONT):  ## Debian's WenQuanYi Micro Hei, so the offline renderer can draw Chinese, Japanese and Korean names
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei \
	  || ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei)

demo: install $(CJK_FONT)  ## generate a 30-second ad offline and print where it is and what it cost
	$(BIN)/vidgen generate "$(PROMPT)"

test: install $(CHROMIUM) $(CJK_FONT)  ## lint, then the whole test suite on all cores (CI runs this, with hypothesis derandomized)
	$(BIN)/ruff check .
	$(BIN)/pytest -n auto --dist worksteal --durations=25

test-fast: install $(CJK_FONT)  ## lint, then every test not marked slow, on all cores: no whole-video renders, browser or service
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not slow" -n auto --dist worksteal

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ui: install  ## the whole service: Dagster UI + daemon (request sensor) on :$(UI_PORT), the API on :$(API_PORT)
	$(BIN)/vidgen serve --host $(HOST) --api-port $(API_PORT) --ui-host $(UI_HOST) --ui-port $(UI_PORT)

bench: install  ## the offline 30-second ad; then the critical path and a batch of 20 ads through the imitations
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_providers.py

clean:
	rm -rf .vidgen .pytest_cache .ruff_cache .hypothesis
