#!/usr/bin/env bash
# Installs the Debian packages parley needs. Idempotent: when everything is present it prints
# nothing and exits 0.
#   install-deps.sh          what building and running `parley` needs (`make run`, the
#                            Dockerfile's build stage)
#   install-deps.sh --test   that, plus what only the tests need (`make test`, .ci/run):
#                            clang's fuzzer runtime, GoogleTest, Google Benchmark, the
#                            PostgreSQL server, chromium and the browser tests' npm packages,
#                            pngquant (`make screenshots`),
#                            docker-compose and Caddy (the deployment files' checks)
set -euo pipefail

with_tests=false
case "${1:-}" in
  --test) with_tests=true ;;
  "") ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

packages=(
  # toolchain (ccache: CMakeLists.txt uses it when present)
  g++ cmake ninja-build pkg-config make ccache
  # flow engine: Lua 5.4 handlers, ICU (case folding, time zones), RE2 (linear-time regex)
  liblua5.4-dev libicu-dev libre2-dev
  # CLI
  libcli11-dev
  # `parley graph --svg`
  graphviz
  # server: Boost.Beast/Asio (HTTP; Debian's default 1.74, because libphonenumber-dev needs it and
  # 1.81's -dev packages conflict with it), OpenSSL (HMAC-SHA1 signatures),
  # libphonenumber (E.164), SQLite, libpq
  libboost-dev libboost-system-dev libssl-dev libphonenumber-dev libsqlite3-dev libpq-dev
  # Twilio REST delivery: libcurl with OpenSSL (TLS, keep-alive, HTTP/2)
  libcurl4-openssl-dev
  # the admin (docs/admin.md): Argon2id password hashes (libsodium), HTML templates (mustache,
  # header-only, escaping by default)
  libsodium-dev libkainjow-mustache-dev
)
test_packages=(
  # fuzzing and sanitizers (clang's libFuzzer runtime)
  clang libclang-rt-14-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the PostgreSQL server for the store's tests (a private cluster per test run)
  postgresql-15
  # the admin's browser tests drive Debian's chromium with playwright-core (npm,
  # test/browser/package-lock.json)
  chromium
  # `make screenshots`: compresses the admin's screenshots for docs/images/
  pngquant
  # the deployment files' checks: `docker-compose config`, `caddy validate`
  docker-compose caddy
)
if $with_tests; then
  packages+=("${test_packages[@]}")
  # Node.js for the browser tests' driver: Debian's, unless a node with npm is already there (a
  # NodeSource nodejs bundles npm and conflicts with Debian's npm package).
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

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

# The browser tests' npm packages (test/browser/package-lock.json), for --test, when the source
# tree is here and they are not installed as locked.
browser="$(cd "$(dirname "$0")/.." && pwd)/test/browser"
if $with_tests && [ -f "$browser/package-lock.json" ] &&
   ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.parley-installed-lock" 2>/dev/null; then
  echo "install-deps: npm ci in test/browser" >&2
  (cd "$browser" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null &&
     cp package-lock.json node_modules/.parley-installed-lock)
fi
