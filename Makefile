# Settle's two entry points: `make run` and `make test`. Everything they need is
# installed from Debian's packages (and npm for the web UI and the Node test suites).
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
PORT ?= 8080
SANDBOX_PORT ?= 12111
DB ?= sqlite:data/settle.db

DEB_PACKAGES := cmake ninja-build g++ pkg-config make git ca-certificates \
  libboost1.81-dev libboost-url1.81-dev libsoci-dev libsqlite3-dev libpq-dev \
  nlohmann-json3-dev libsodium-dev libcurl4-openssl-dev libspdlog-dev libfmt-dev libcli11-dev \
  libexpected-dev libhowardhinnant-date-dev libkainjow-mustache-dev \
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev \
  postgresql-15 wrk curl
# Headless browser for the web UI's tests (tests/web), driven by playwright-core from npm.
DEB_PACKAGES += chromium
# libFuzzer and the sanitizers' runtimes for the fuzz harnesses (fuzz/; libclang-rt is only
# a recommendation of clang's packages).
DEB_PACKAGES += clang libclang-rt-14-dev
# Quote and invoice PDFs (src/docs): cairo + pango with DejaVu embedded, QR codes by
# libqrencode; poppler-utils and zbar-tools read them back in the tests.
DEB_PACKAGES += libcairo2-dev libpango1.0-dev libqrencode-dev fonts-dejavu-core poppler-utils zbar-tools
# Mail (src/mail): a real SMTP server for the tests (tests/mail/smtp_server.py on aiosmtpd).
DEB_PACKAGES += python3-aiosmtpd
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test test-unit test-e2e test-node bench clean
.PHONY: fuzz
.PHONY: web

all: build

# Installs only what is missing, so a second run costs a dpkg query.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ $$(id -u) -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@# Node.js may come from elsewhere than Debian (its npm then conflicts with Debian's):
	@# install Debian's only when there is none.
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  SUDO=$$([ $$(id -u) -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; \
	fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The web UI: npm ci when web/node_modules is missing or older than the lock file, then a
# Vite build into web/dist, which `settle serve --web-root web/dist` serves.
web: deps
	@cd web && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund; fi && npm run build

# Builds, seeds the demo workspace into ./data/settle.db (once), starts the local Stripe
# sandbox and serves Settle on http://127.0.0.1:$(PORT).
run: build web
	@mkdir -p data
	@scripts/run.sh "$(BUILD)/settle" "$(DB)" "$(PORT)" "$(SANDBOX_PORT)"

# Every test: unit suites, API/storage suites on SQLite and on a throwaway PostgreSQL,
# the end-to-end suites over loopback, and the Node suites.
test: build
	@scripts/test.sh "$(BUILD)"

# Each libFuzzer harness for FUZZ_SECONDS on its corpus; exits non-zero on a crash, keeping
# the input under $(BUILD)-fuzz/fuzz-crashes/.
fuzz: deps
	scripts/fuzz.sh "$(BUILD)-fuzz" "$(FUZZ_SECONDS)"

bench: deps
	cmake -S . -B $(BUILD)-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSETTLE_BENCH=ON
	cmake --build $(BUILD)-bench -j $(JOBS)
	scripts/bench.sh "$(BUILD)-bench"

clean:
	rm -rf $(BUILD) $(BUILD)-bench $(BUILD)-fuzz
