# bitsy — see README.md. Every target runs offline once dependencies are fetched.
CARGO ?= cargo
MUSL  := x86_64-unknown-linux-musl
BITSY := target/release/bitsy
BITSY_MUSL := target/$(MUSL)/release/bitsy
# rqbit, a Rust (tokio) client the bench compares with: installed once under target/rqbit
# (several minutes of compiling), reused while target/rqbit/bin/rqbit exists.
RQBIT_VERSION := 9.1.0
RQBIT := target/rqbit/bin/rqbit
export BITSY BITSY_MUSL RQBIT

.PHONY: all build test interop bench lint musl static rqbit bench-tools cross test-cross test-memory demo clean

all: build

build:
	$(CARGO) build --release

# Unit and integration tests: self-contained, loopback only.
test:
	$(CARGO) test --all-targets

# Real clients (aria2, Transmission, qBittorrent, rtorrent, libtorrent,
# opentracker) against bitsy on loopback. Fails when a client is missing.
interop: build
	tests/interop/run

# Speed and memory side by side with real clients (needs ~3 GiB of disk): the glibc and
# the static musl bitsy, rqbit, aria2c, libtorrent; uploads against rtorrent and qBittorrent.
# Its scale part runs bitsy against 10 and 200 fake seeders (examples/slow_swarm); its bare
# transfer shows what the machine allows bitsy to bitsy (examples/bare_transfer).
# Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--quick --only bitsy"
# (tests/bench/README.md).
bench: build musl rqbit bench-tools
	tests/bench/run $(BENCH_ARGS)

# The bench's own tools (dev only: examples, not part of bitsy): the fake swarm of slow
# seeders, and the bare transfer (the same system calls as bitsy to bitsy, no BitTorrent).
bench-tools:
	$(CARGO) build --release --example slow_swarm --example bare_transfer

rqbit: $(RQBIT)

$(RQBIT):
	@echo "installing rqbit $(RQBIT_VERSION) into target/rqbit (compiles for several minutes, once)"
	$(CARGO) install rqbit --version $(RQBIT_VERSION) --no-default-features \
		--features default-tls --root target/rqbit \
		|| { echo "bench: installing rqbit failed; the bench needs it (tests/bench/README.md)" >&2; exit 1; }

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --all-targets --no-default-features -- -D warnings

# The static x86_64 binary alone (default features), as `make bench` runs it.
musl:
	rustup target add $(MUSL) >/dev/null 2>&1 || true
	$(CARGO) build --release --target $(MUSL)

# One static, stripped x86_64 binary, twice: the default build (HTTPS) and
# the plain one (--no-default-features: HTTP only, in target/no-tls).
static: musl
	$(CARGO) build --release --target $(MUSL) --no-default-features --target-dir target/no-tls
	@ls -l target/$(MUSL)/release/bitsy | awk '{print "static binary, with TLS: " $$5 " bytes"}'
	@ls -l target/no-tls/$(MUSL)/release/bitsy | awk '{print "static binary, plain HTTP: " $$5 " bytes"}'
	@file target/$(MUSL)/release/bitsy 2>/dev/null || true

# Static, stripped release binaries for x86_64, aarch64, i686 and 32-bit
# ARM, with TLS (default) and without, and a table of both sizes
# (linkers and C compilers: .cargo/config.toml).
cross:
	tests/cross/build

# The tests of the aarch64 and ARM builds under qemu-user, of the i686 build
# natively, and a download over 4 GiB by the i686 build (tests/cross/README.md).
test-cross: cross
	tests/cross/test

# A 512 MiB download inside a 32 MiB memory cgroup (needs root).
test-memory: cross
	tests/cross/cgroup-download

# A real swarm on loopback: tracker + seeder + downloader, all bitsy.
demo: build
	tests/demo/demo

clean:
	$(CARGO) clean
