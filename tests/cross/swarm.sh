# Sourced by tests/cross/big-download and tests/cross/cgroup-download:
# a loopback swarm of separate bitsy processes (tracker, seeder), the
# temp dir they live in, and the clean-up that stops them by PID.
#
# The caller sets NAME (for messages) before sourcing, then calls
# start_tracker, start_seeder TORRENT PATH and its own downloader.
# Every wait is bounded; every process started here is in `pids` and
# is stopped on exit (SIGTERM, a bounded wait, then SIGKILL); the temp
# dir, with all the data, is removed on exit.

# The host build seeds and creates; a cross build only downloads.
HOST_BITSY=${HOST_BITSY:-target/x86_64-unknown-linux-musl/release/bitsy}

# Seconds a process gets to start listening, or to show up on the
# tracker (the seeder hashes its data first: 5 GiB of it takes a while).
READY_SECS=${READY_SECS:-300}

pids=()
tmp=

die() { echo "$NAME: $*" >&2; exit 1; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if declare -F cleanup_more >/dev/null; then cleanup_more || true; fi
    [ -n "$tmp" ] && rm -rf "$tmp"
    exit "$status"
}

# free_gib DIR: whole GiB free on DIR's filesystem.
free_gib() { df -P -k "$1" | awk 'NR == 2 { print int($4 / 1048576) }'; }

# mem_gib: whole GiB of memory the kernel says is available.
mem_gib() { awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo; }

# make_tmp MIN_FREE_GIB [memory-ok]: the temp dir, on the first of
# ${TMPDIR:-/tmp} and /var/tmp with room. With `memory-ok`, /dev/shm
# (a tmpfs, so memory) is the last resort when the machine has that
# much memory available beside a 4 GiB margin: CI machines' disks vary
# (one had 3 GiB free in /tmp) while their memory does not. The cgroup
# test must not use it: tmpfs pages count against the cgroup's limit.
make_tmp() {
    local need=$1 base= tried=
    for d in "${TMPDIR:-/tmp}" /var/tmp; do
        [ -d "$d" ] || continue
        tried+=" $d: $(free_gib "$d") GiB;"
        if [ "$(free_gib "$d")" -ge "$need" ]; then base=$d; break; fi
    done
    if [ -z "$base" ] && [ "${2:-}" = memory-ok ] && [ -d /dev/shm ]; then
        tried+=" /dev/shm: $(free_gib /dev/shm) GiB, memory available $(mem_gib) GiB;"
        if [ "$(free_gib /dev/shm)" -ge "$need" ] &&
            [ "$(mem_gib)" -ge $(( need + 4 )) ]; then
            base=/dev/shm
            echo "$NAME: using /dev/shm (memory) for ${need} GiB: the disks are short"
        fi
    fi
    [ -n "$base" ] || die "needs ${need} GiB free, found:${tried%;}"
    tmp=$(mktemp -d "$base/bitsy-$NAME.XXXXXX")
    trap cleanup EXIT
    trap 'echo "$NAME: interrupted" >&2; exit 130' INT TERM
}

# A TCP port nobody listens on right now (other runs share this machine).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    for _ in $(seq 100); do
        p=$(( 20000 + RANDOM % 40000 ))
        port_busy "$p" || { echo "$p"; return 0; }
    done
    die "no free port"
}

# wait_for WHAT SECONDS PID COMMAND...: polls COMMAND every 0.1 s; fails
# if PID dies or the time is up.
wait_for() {
    local what=$1 secs=$2 pid=$3
    shift 3
    for _ in $(seq $(( secs * 10 ))); do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || die "$what: process $pid exited"
        sleep 0.1
    done
    die "$what: not ready after ${secs}s"
}

# Does the tracker's scrape (BEP 48) count a seeder for the infohash (hex)?
has_seeder() {
    local port=$1 hex=$2 q="" i resp
    for (( i = 0; i < 40; i += 2 )); do q+="%${hex:i:2}"; done
    exec 4<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET /scrape?info_hash=%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$q" >&4
    resp=$(timeout 2 cat <&4 | tr -d '\0') || true
    exec 4>&-
    [[ $resp == *completei[1-9]* ]]
}

# start_tracker: sets tracker_url.
start_tracker() {
    local port
    port=$(pick_port)
    "$HOST_BITSY" tracker --bind 127.0.0.1 --port "$port" >"$tmp/tracker.log" 2>&1 &
    pids+=($!)
    tracker_port=$port
    wait_for "tracker" 10 $! port_busy "$port"
    tracker_url="http://127.0.0.1:$port/announce"
}

# create PATH TORRENT
create() {
    "$HOST_BITSY" create "$1" --tracker "$tracker_url" -o "$2" >/dev/null 2>"$tmp/create.log" \
        || die "bitsy create failed"
}

# start_seeder TORRENT PATH: returns when the tracker lists the seeder.
start_seeder() {
    local port hex
    port=$(pick_port)
    "$HOST_BITSY" seed "$1" "$2" --port "$port" -q --no-dht >"$tmp/seed.log" 2>&1 &
    pids+=($!)
    local pid=$!
    hex=$("$HOST_BITSY" info "$1" | grep -oiE '\b[0-9a-f]{40}\b' | head -1 | tr 'A-F' 'a-f')
    [ -n "$hex" ] || die "no infohash in bitsy info"
    wait_for "seeder on the tracker" "$READY_SECS" "$pid" has_seeder "$tracker_port" "$hex"
}

# now: seconds since the epoch, with a fraction.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
