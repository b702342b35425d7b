# Sourced by scripts/start and scripts/test: make .venv hold this project and its extras,
# and service/frontend the browser libraries the service serves (the maps' basemap renderer).
# Re-installs only when the packaging or lock files change, so the second run starts at once.

ensure_environment() {
    local extras="${1:-}"
    local target="."
    if [ -n "$extras" ]; then target=".[$extras]"; fi
    local python="${PYTHON:-}"
    if [ -z "$python" ]; then
        for candidate in python3.11 python3; do
            if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
        done
    fi
    if [ -z "$python" ]; then
        echo "Python 3.11 or newer is needed: install it and run this again." >&2
        exit 1
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "Python 3.11 or newer is needed; $python is $("$python" --version)." >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "Creating the virtual environment in .venv ..."
        "$python" -m venv .venv
    fi
    local stamp=".venv/.installed-${extras:-base}"
    local wanted
    wanted="$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "Installing the service and its dependencies ${extras:+($extras) }..."
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet --editable "$target"
        echo "$wanted" > "$stamp"
    fi
    ensure_npm_packages service/frontend
}

# Node.js and npm, from Debian's packages when missing.
ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then return; fi
    echo "Installing Node.js and npm ..."
    local sudo_cmd=""
    if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nodejs npm >/dev/null
}

# The exact packages of a folder's package-lock.json (npm ci), again only when the lock changes.
ensure_npm_packages() {
    local folder="$1"
    if [ -f "$folder/node_modules/.lock-installed" ] \
        && cmp -s "$folder/package-lock.json" "$folder/node_modules/.lock-installed"; then
        return
    fi
    ensure_node
    echo "Installing the npm packages of $folder ..."
    npm ci --prefix "$folder" --silent --no-audit --no-fund
    cp "$folder/package-lock.json" "$folder/node_modules/.lock-installed"
}
