# Qoltanba: `make run` starts the sandbox server, `make test` runs every test.

SWIFT ?= swift
VENV := .venv
PYTHON := $(VENV)/bin/python
BINARY := .build/debug/qoltanba

# System packages: to build, to run what was built, and additionally to test. RUNTIME_PACKAGES are Debian 12's
# names: the Docker image's runtime stage installs exactly these, its build stage BUILD_PACKAGES
# (integration/operations/test_deploy.py compares, and checks that they hold every library the binary loads).
BUILD_PACKAGES := pkg-config zlib1g-dev libxml2-dev libqpdf-dev libqrencode-dev libcairo2-dev
RUNTIME_PACKAGES := zlib1g libxml2 libqpdf29 libqrencode4 libcairo2 fonts-dejavu-core ca-certificates tzdata
RUN_PACKAGES := $(BUILD_PACKAGES) fonts-dejavu-core ca-certificates tzdata
TEST_PACKAGES := postgresql python3 python3-venv curl openssl chromium chromium-driver qpdf poppler-utils zbar-tools unzip \
	caddy systemd

# Fuzzing: libFuzzer and AddressSanitizer, in a build folder of its own (see Sources/QoltanbaFuzz).
FUZZ_SECONDS ?= 60
FUZZ_BUILD := --scratch-path .build/fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
	-Xswiftc -DQOLTANBA_FUZZ -Xswiftc -use-ld=lld

.PHONY: run build lint bench-api bench-pki bench-archive bench-documents test test-swift test-swift-postgres test-compat test-browser test-scale test-operations \
	test-fuzz fuzz fuzz-build test-conformance fuzz-api screenshots deps deps-test clean

run: deps build
	$(BINARY) serve --hostname 127.0.0.1 --port 8080

build:
	$(SWIFT) build --product qoltanba

deps:
	@scripts/install-packages.sh $(RUN_PACKAGES)

deps-test: deps
	@scripts/install-packages.sh $(TEST_PACKAGES)
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check -r integration/requirements.txt

# Layering checks on Sources/, Tests/ and Package.swift (scripts/lint.py): Fluent and SQL only in the target
# Sources/QoltanbaPersistence (no other target of Sources/ imports them, QoltanbaServer's entry in Package.swift
# lists none of their products), whose public declarations name no Fluent/SQL type; Swift files of at most 400
# lines, tests included (migrations aside); each of the server's folders uses only those its row of the table
# ALLOWED lists, the table complete and acyclic, and README.md's copy of it current (`scripts/lint.py --table`
# prints it, `--graph` the uses between folders). Python's standard library only.
# scripts/test_lint.py first checks the lint itself on small synthetic trees (`-v` for one line a test).
lint:
	@scripts/install-packages.sh python3
	python3 scripts/test_lint.py -q
	python3 scripts/lint.py

test: lint deps-test
	$(SWIFT) build --build-tests
	$(MAKE) test-swift test-swift-postgres test-compat test-browser test-scale test-operations test-fuzz test-conformance

# The Swift suites on SQLite, then the same suites on a throwaway PostgreSQL.
test-swift:
	$(SWIFT) test --skip-build

test-swift-postgres:
	scripts/with-postgres.sh $(SWIFT) test --skip-build

# The API reference's own Python examples, the operator CLI, OpenAPI and /pki, against a running server.
test-compat:
	$(PYTHON) -m pytest -q integration/compat

# Three instances on one throwaway PostgreSQL, each request sent to one of them at random: flows, certificates,
# webhooks, expiry, the CRL and key revocation hold across instances; an instance killed inside a migration; the compose
# file's production settings and the Caddyfile in front of two instances.
test-scale:
	scripts/with-postgres.sh $(PYTHON) -m pytest -q integration/scale

# What an operator relies on, against real processes: SIGTERM under load, health and readiness, request ids,
# JSON logs, secrets from files, backup under load and restore, master key rotation, kill -9 at the worst moments,
# deploy/'s package lists and systemd unit.
test-operations:
	$(PYTHON) -m pytest -q integration/operations

# The signing client in headless Chromium with a fake camera, through its automation contract.
test-browser:
	$(PYTHON) -m pytest -q integration/browser

# Schemathesis (every check) against a fresh sandbox server and its own OpenAPI document, 2 minutes.
test-conformance:
	$(PYTHON) integration/conformance/run_schemathesis.py --max-time 120

# The same for API_FUZZ_SECONDS (1800 by default).
API_FUZZ_SECONDS ?= 1800
fuzz-api: deps-test build
	$(PYTHON) integration/conformance/run_schemathesis.py --max-time $(API_FUZZ_SECONDS)

# Every fuzz target for 10 s from its seed corpus (regression inputs included); any crash fails.
test-fuzz: fuzz-build
	scripts/fuzz.sh 10

# Every fuzz target for FUZZ_SECONDS (60 by default; `make fuzz FUZZ_SECONDS=3600`), or only
# FUZZ_TARGETS (cms cosign pdf xml base64 check).
fuzz: deps fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build:
	$(SWIFT) build $(FUZZ_BUILD) --product qoltanba-fuzz

# A PNG of every step of the signing client, in each language and theme, into screenshots/.
screenshots: deps-test build
	$(PYTHON) integration/browser/screenshots.py

# CMS sign/verify rates for P-256 and RSA-2048 beside `openssl speed` (release build).
bench-pki: deps
	@scripts/install-packages.sh openssl
	$(SWIFT) build -c release --product qoltanba-bench
	.build/release/qoltanba-bench

# Peak memory of the archive download of ten 5 MB PDFs against the sandbox server (needs root for /proc).
# Throughput of the integrator routes (wrk) on SQLite and a throwaway PostgreSQL at its default durability,
# as ratios to a plain route in the same run, and the peak memory of a 20 MB upload (benchmarks/bench_api.py).
bench-api: deps-test
	@scripts/install-packages.sh wrk
	$(SWIFT) build -c release --product qoltanba
	QOLTANBA_PG_DEFAULTS=1 scripts/with-postgres.sh sh -c 'QOLTANBA_BENCH_POSTGRES_URL="$$QOLTANBA_TEST_DATABASE_URL" \
		QOLTANBA_BINARY=.build/release/qoltanba $(PYTHON) benchmarks/bench_api.py'

bench-archive: deps-test build
	$(PYTHON) benchmarks/archive_memory.py

# Stamping and zipping ten 50-page PDFs beside the qpdf command line, and the archive's peak memory (release build).
bench-documents: deps
	@scripts/install-packages.sh qpdf
	$(SWIFT) build -c release --product qoltanba-bench
	.build/release/qoltanba-bench documents

clean:
	rm -rf .build $(VENV)
