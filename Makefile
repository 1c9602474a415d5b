# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SCANNER := recsys/data/_template_scan.so
DATA ?= data_files/demo

.PHONY: install browser java run demo-data test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

## the compiled reader of sessions.jsonl (recsys/data/template_scan.c); a C compiler is installed when
## missing and we are root (without the library every file is read by the general reader, slower)
$(SCANNER): recsys/data/template_scan.c
	@if ! command -v cc >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -q && apt-get install -y -q gcc; fi
	cc -O2 -shared -fPIC -o $@ $<

install: $(STAMP) $(SCANNER)

## demo-data: generate the demo dataset if data_files/ has none, prepare it, train the default models
demo-data: install
	$(PY) -m recsys bootstrap --data $(DATA)

## run: set up and open the dashboard on the demo data
run: java demo-data
	$(PY) -m streamlit run app.py

## browser: Debian's Chromium for the end-to-end tests (installed when missing and we are root)
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -q && apt-get install -y -q chromium; fi

## java: a Java runtime for the Spark engine (--engine spark; installed when missing and we are root)
java:
	@if ! { [ -n "$$JAVA_HOME" ] && [ -x "$$JAVA_HOME/bin/java" ]; } && ! command -v java >/dev/null 2>&1 \
	  && [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -q && { apt-get install -y -q openjdk-17-jre-headless \
	  || apt-get install -y -q default-jre-headless; }; fi

## test: set up and run every test (browser tests included)
test: install browser java
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache $(SCANNER)
