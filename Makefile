# patchaudit - quick start: `make run`, then `make test`.
SWIFT      ?= swift
PREFIX     ?= /usr/local
BUILD_DIR  := .build
BIN         = $(shell $(SWIFT) build --show-bin-path)/patchaudit
SAMPLE     := Fixtures/sample-install

.PHONY: all deps test-deps build run test check unit-test pefile-check schema-check interop-check fleet-check fuzz fuzz-smoke sanitize fixtures bench install clean

all: build

# Debian packages the build needs: libarchive (archives), libdeflate (zip entries read in
# place), The Sleuth Kit and libqcow (disk images), libsqlite3 (the history store, through
# GRDB) and pkg-config (to find them).
# swift-crypto vendors BoringSSL. The pefile cross-check installs what it needs itself.
deps:
	@bash scripts/ensure-packages.sh libarchive-dev libdeflate-dev libtsk-dev libqcow-dev libsqlite3-dev pkg-config

# What the report tests check the output with: xmllint (JUnit against docs/schemas/junit.xsd),
# promtool (Prometheus), headless Chromium (the HTML report), python3's csv module, and
# sqlite3 (the store tests read the store as a user would).
test-deps: deps
	@bash scripts/ensure-packages.sh libxml2-utils chromium python3 fonts-dejavu-core sqlite3
	@bash scripts/ensure-promtool.sh

build: deps
	$(SWIFT) build

# Scans the bundled sample install (an Office 97 SR-1 machine that needs the patch).
# patchaudit exits 1 for patch-needed; that is the expected answer here, not a failure.
run: build
	@status=0; $(BIN) scan $(SAMPLE) || status=$$?; \
	echo "(exit status $$status: 0 up-to-date/not-applicable, 1 patch-needed, 2 blocked/review, 3 error)"; \
	[ $$status -le 2 ]

# The whole suite (`check`), run from a copy of the checkout inside a folder only root may
# enter, with TMPDIR in another one: what `mktemp -d` makes and where CI may clone.
test: deps
	bash scripts/test-in-private-copy.sh

# The whole suite, in place: Swift tests (unit, fixture trees, CLI end to end), the
# cross-check of `inspect` against pefile on wine's DLLs from Debian, the manifests against
# their JSON Schema with an independent validator, and the interop check (manifest keys and
# signatures against openssl, hashdeep lists against hashdeep), and the fleet check (a 3,000-target
# list killed and resumed, shards merged: scripts/check-fleet-resume.sh).
check: unit-test pefile-check schema-check interop-check fleet-check fuzz-smoke

# libFuzzer + AddressSanitizer over each parser of untrusted bytes (scripts/fuzz.sh,
# Fuzz/README.md). `make fuzz` runs each target FUZZ_SECONDS (default 600); the suite runs each
# for a short smoke and replays every committed finding.
FUZZ_SECONDS ?= 600
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: deps
	bash scripts/fuzz.sh 20

# The Swift suite under AddressSanitizer, then under ThreadSanitizer (own build folders).
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	SWIFT_BACKTRACE=enable=no TSAN_OPTIONS=suppressions=$(CURDIR)/scripts/tsan.supp $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan

# PATCHAUDIT_REQUIRE_TOOLS=1: a test whose tool is missing fails instead of being skipped.
unit-test: test-deps
	$(SWIFT) build --build-tests
	PATCHAUDIT_REQUIRE_TOOLS=1 $(SWIFT) test --skip-build

pefile-check: build
	bash scripts/check-against-pefile.sh $(BIN)

schema-check: build
	bash scripts/check-manifest-schema.sh $(BIN)

interop-check: build
	bash scripts/check-interop.sh $(BIN)

# A 3,000-target list from a file and from stdin, killed with SIGKILL at random moments and
# resumed until it equals the uninterrupted run; 4 Slurm shards merged equal the single run.
fleet-check: build
	KILLS=6 bash scripts/check-fleet-resume.sh $(BIN)

# Regenerates Fixtures/ (mingw-w64, archivers, hashdeep, and for disk images dosfstools,
# mtools, fdisk, ntfs-3g, qemu-utils and ewf-tools are installed by the scripts; the results
# are committed, so the tests need none of them).
fixtures:
	bash scripts/ensure-packages.sh mingw-w64
	bash Fixtures/generate.sh
	bash Fixtures/make-archives.sh
	python3 Fixtures/tools/robustness.py
	python3 Fixtures/tools/zip-in-place.py
	bash Fixtures/hashdeep/make.sh
	bash Fixtures/tools/images/make-images.sh
	bash Fixtures/tools/sfx/make-sfx.sh
	bash Fuzz/Seeds/make-image-seeds.sh

# Benchmarks: scans against find, fd, unzip and bsdtar; manifests and hashdeep lists
# (installs hyperfine, fd-find and time when missing).
bench:
	bash scripts/bench.sh
	bash scripts/bench-manifest.sh

install:
	$(SWIFT) build -c release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/patchaudit/manifests
	install -m 755 $$($(SWIFT) build -c release --show-bin-path)/patchaudit $(DESTDIR)$(PREFIX)/bin/patchaudit
	install -m 644 Manifests/*.json $(DESTDIR)$(PREFIX)/share/patchaudit/manifests/

clean:
	rm -rf $(BUILD_DIR)
