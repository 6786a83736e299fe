#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine with only the Rust toolchain:
# prepares what the suite needs (Rust components, a running PostgreSQL), checks formatting and
# lints, then runs every test. `.ci/run` calls exactly this.
#
#   scripts/test.sh                 everything
#   YIMEN_TEST_DATABASE_URL=postgres://user@host:port/db scripts/test.sh
#                                   use that PostgreSQL instead of the local one
#   YIMEN_TEST_SKIP_LINT=1 scripts/test.sh
#                                   tests only (for a quick local loop)
#
# Installs what it uses when missing (Debian packages: PostgreSQL, Kannel, Chromium with a
# Chinese font, Node.js; PyPI: aiosmtpd and schemathesis in a venv; npm: playwright-core and axe-core under tests/browser).
# The browser tests leave their screenshots in target/browser-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "error: need root to run: $*" >&2
        return 1
    fi
}

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Rust components -----------------------------------------------------------------------
if [ -z "${YIMEN_TEST_SKIP_LINT:-}" ]; then
    for comp in rustfmt clippy; do
        if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
            say "installing the $comp component"
            rustup component add "$comp"
        fi
    done
fi

# --- PostgreSQL ----------------------------------------------------------------------------
# Use YIMEN_TEST_DATABASE_URL when given. Otherwise use the local server on 127.0.0.1:5432
# (user postgres, database test): start it when it is installed but stopped, install it when
# it is missing.
if [ -z "${YIMEN_TEST_DATABASE_URL:-}" ]; then
    export YIMEN_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
    if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        say "installing PostgreSQL"
        apt_install postgresql postgresql-client
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        # A server we installed ourselves: let local TCP connections in without a password,
        # as on the machines this project is developed and tested on.
        hba="/etc/postgresql/$version/main/pg_hba.conf"
        if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
            as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
        fi
    fi
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
        say "starting PostgreSQL $version"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p 5432 && break
        sleep 1
    done
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        echo "error: PostgreSQL does not answer on 127.0.0.1:5432" >&2
        exit 1
    fi
    if ! psql "$YIMEN_TEST_DATABASE_URL" -qtAc 'select 1' >/dev/null 2>&1; then
        psql "postgres://postgres@127.0.0.1:5432/postgres" -qc 'CREATE DATABASE test' >/dev/null
    fi
fi
say "PostgreSQL for tests: $YIMEN_TEST_DATABASE_URL"

# --- A real SMS gateway for the notifier tests (Debian's Kannel with its fake SMSC) -------------------
if [ ! -x /usr/sbin/bearerbox ] || [ ! -x /usr/lib/kannel/test/fakesmsc ]; then
    say "installing Kannel (SMS gateway) and its fake SMSC"
    apt_install kannel kannel-extras
fi

# --- A real SMTP server for the notifier tests (aiosmtpd from PyPI, in a venv of our own) ---------
# schemathesis checks the OpenAPI document against the running server (tests/e2e/schemathesis.rs);
# openpyxl reads the case lists' Excel exports (tests/e2e/exports.rs).
venv="target/test-tools/venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import aiosmtpd, schemathesis, openpyxl' >/dev/null 2>&1; then
    say "installing aiosmtpd (SMTP test server), schemathesis (API conformance) and openpyxl (Excel reader)"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        apt_install python3-venv
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q aiosmtpd schemathesis openpyxl
fi
export YIMEN_TEST_PYTHON="$PWD/$venv/bin/python"

# --- A real browser for the page tests (Debian's Chromium, driven by playwright-core) ------------
if [ ! -x /usr/bin/chromium ]; then
    say "installing Chromium and a Chinese font for the browser tests"
    apt_install chromium fonts-wqy-microhei
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "installing Node.js for the browser tests"
    apt_install nodejs npm
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
    say "installing playwright-core and axe-core (uses the system Chromium; downloads no browser)"
    (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# --- Lints ---------------------------------------------------------------------------------
if [ -z "${YIMEN_TEST_SKIP_LINT:-}" ]; then
    say "cargo fmt --check"
    cargo fmt --all -- --check
    say "cargo clippy"
    cargo clippy --workspace --all-targets --locked -- -D warnings
    say "the workflow editor's bundle is what tools/editor builds"
    tools/editor/build.sh --check
fi

# --- Tests ---------------------------------------------------------------------------------
say "tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo test --workspace --doc --locked --quiet
    cargo nextest run --workspace --locked --no-fail-fast
else
    cargo test --workspace --locked --no-fail-fast
fi
