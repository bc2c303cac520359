#!/usr/bin/env bash
# Installs the Debian packages parley needs to build, test and run. Idempotent: when
# everything is present it prints nothing and exits 0. Used by the Makefile (README
# commands), .ci/run and the Dockerfile.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config make ccache
  # fuzzing and sanitizers (clang's libFuzzer runtime)
  clang libclang-rt-14-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # flow engine: Lua 5.4 handlers, ICU (case folding, time zones), RE2 (linear-time regex)
  liblua5.4-dev libicu-dev libre2-dev
  # CLI
  libcli11-dev
  # `parley graph --svg`
  graphviz
  # server: Boost.Beast/Asio (HTTP; Debian's default 1.74, because libphonenumber-dev needs it and
  # 1.81's -dev packages conflict with it), OpenSSL (HMAC-SHA1 signatures),
  # libphonenumber (E.164), SQLite, libpq; the PostgreSQL server for the store's tests
  libboost-dev libboost-system-dev libssl-dev libphonenumber-dev libsqlite3-dev libpq-dev
  postgresql-15
  # Twilio REST delivery: libcurl with OpenSSL (TLS, keep-alive, HTTP/2)
  libcurl4-openssl-dev
  # the admin (docs/admin.md): Argon2id password hashes (libsodium), HTML templates (mustache,
  # header-only, escaping by default); the browser tests drive Debian's chromium with
  # playwright-core (npm, test/browser/package-lock.json)
  libsodium-dev libkainjow-mustache-dev chromium
)
# Node.js for the browser tests' driver: Debian's, unless a node with npm is already there (a
# NodeSource nodejs bundles npm and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser tests' npm packages (test/browser/package-lock.json), when the source tree is
# here (the Dockerfile runs this script before copying it) and they are not installed as locked.
browser="$(cd "$(dirname "$0")/.." && pwd)/test/browser"
if [ -f "$browser/package-lock.json" ] &&
   ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.parley-installed-lock" 2>/dev/null; then
  echo "install-deps: npm ci in test/browser" >&2
  (cd "$browser" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null &&
     cp package-lock.json node_modules/.parley-installed-lock)
fi
