# The whole set-up on a fresh Debian 12 machine is `make run` or `make test`: both install what
# is missing first (scripts/install-deps).

export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
FUZZ_SECONDS ?= 60

.PHONY: deps build run run-zones test fuzz bench soak install install-files install-agent

deps:
	@scripts/install-deps

build: deps
	$(CARGO) build --workspace --release

run: deps
	scripts/run-demo

run-zones: deps
	scripts/run-zones

# The end-to-end tests start every binary of the workspace (airgui-agent too); cargo test builds
# only the binaries of packages whose own integration tests need them, hence the build first.
test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	$(CARGO) build --workspace --bins
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  $(CARGO) test --workspace --no-fail-fast; \
	fi

# Runs every fuzz target for FUZZ_SECONDS each (needs a nightly toolchain and cargo-fuzz).
fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

# Benchmarks (bench/, see docs/benchmarks.md): builds in release, measures, prints one table and
# writes it to docs/benchmarks.md. BENCH_SECONDS is the length of each measurement.
BENCH_SECONDS ?= 10
bench: deps
	$(CARGO) build --release -p airgui -p airgui-agent -p guid-demo-agent -p airgui-bench --bins
	target/release/airgui-bench --seconds $(BENCH_SECONDS) --out docs/benchmarks.md

# The soak (bench/src/soak.rs): SOAK_SECONDS of qubes, windows, input and clipboard churn with
# airgui's memory and descriptors sampled; fails if they grow after the warm-up. Writes
# docs/soak.md.
SOAK_SECONDS ?= 600
soak: deps
	$(CARGO) build --release -p airgui -p airgui-agent -p guid-demo-agent -p airgui-bench --bins
	target/release/airgui-bench --soak $(SOAK_SECONDS)

# `make install` builds in release and installs under $(DESTDIR)$(PREFIX): the airgui binary, the
# airgui-session launcher, the example configuration (every key with its default) and the
# wayland-sessions entry a display manager lists as "airgui". Display managers that read only
# /usr/share/wayland-sessions want PREFIX=/usr. `install-files` installs what is already built in
# $(BUILT), without building.
PREFIX ?= /usr/local
DESTDIR ?=
BUILT ?= target/release
install: build
	$(MAKE) install-files

install-files:
	install -Dm755 $(BUILT)/airgui $(DESTDIR)$(PREFIX)/bin/airgui
	install -Dm755 scripts/airgui-session $(DESTDIR)$(PREFIX)/bin/airgui-session
	install -Dm644 assets/airgui.toml $(DESTDIR)$(PREFIX)/share/airgui/airgui.toml
	install -Dm644 assets/airgui.desktop $(DESTDIR)$(PREFIX)/share/wayland-sessions/airgui.desktop

# `make install-agent`, inside a qube: builds and installs airgui-agent alone, the qube side,
# which links nothing of the GUI qube (no backend, seat or RDP libraries are needed).
install-agent: deps
	$(CARGO) build --release -p airgui-agent
	install -Dm755 $(BUILT)/airgui-agent $(DESTDIR)$(PREFIX)/bin/airgui-agent
