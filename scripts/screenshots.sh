#!/usr/bin/env bash
# Regenerates the admin's screenshots in docs/images/ (docs/admin.md): runs the browser test
# (test/browser/admin.test.mjs: a real `parley serve` and Debian's chromium at 1280x800, one
# page at a phone's width) into a temporary folder, then copies the curated pages here,
# compressed with pngquant. `make screenshots` builds parley and installs what this needs
# first. The normal test run (ctest) writes its screenshots under the build folder only.
#   scripts/screenshots.sh [PARLEY_BINARY]     default: build/parley
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
parley="${1:-$root/build/parley}"
[ -x "$parley" ] || { echo "screenshots: $parley is not built (make build-parley)" >&2; exit 1; }
command -v pngquant >/dev/null || { echo "screenshots: pngquant is missing (scripts/install-deps.sh --test)" >&2; exit 1; }

shots="$(mktemp -d)"
trap 'rm -rf "$shots"' EXIT
node "$root/test/browser/admin.test.mjs" "$parley" "$root" "$shots"

# The pages docs/admin.md shows, each next to its description: the test's screenshot, and
# its name under docs/images/ (admin-NAME.png). The dashboard after the broadcast, the
# contact with a session and a transition inline, and the flow with a live session show
# more than the test's first screenshots of them.
pages=(dashboard-later:dashboard contacts:contacts contact-transitions:contact flows:flows
       flow-numbers:flow messages:messages broadcast-preview:broadcast-preview
       broadcast-progress:broadcast-progress dashboard-phone:dashboard-phone)
mkdir -p "$root/docs/images"
for page in "${pages[@]}"; do
  from="$shots/${page%%:*}.png"
  out="$root/docs/images/admin-${page#*:}.png"
  # 64 colours are plenty for flat pages of text; --skip-if-larger (exit 98) and a quality
  # below the floor (exit 99) keep the original.
  pngquant --force --strip --speed 1 --quality 40-90 --skip-if-larger --output "$out" 64 \
    "$from" || cp "$from" "$out"
done
du -ch "$root"/docs/images/admin-*.png | tail -1 | sed 's/^/screenshots: /'
