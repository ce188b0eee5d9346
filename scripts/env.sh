# Shared by the scripts: where cargo builds (outside the clone, so reruns and fresh clones reuse
# it) and a check that the tool chain is there.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ha/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        echo "error: cargo not found: install Rust (https://rustup.rs) first" >&2
        exit 1
    fi
fi
# Installs a Debian package when the command it provides is missing (CI and fresh machines).
need() {
    local command="$1" package="$2"
    command -v "$command" >/dev/null 2>&1 && return 0
    echo "installing $package (for $command)" >&2
    if [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && apt-get install -y -qq "$package") >/dev/null
    else
        (sudo apt-get update -qq && sudo apt-get install -y -qq "$package") >/dev/null
    fi
}
