#!/usr/bin/env bash
# Render a report.html in headless Chromium and write a PNG screenshot of it.
#
#   scripts/screenshot_report.sh RUN_DIR/report.html [OUT.png] [WIDTH] [HEIGHT]
#
# Needs chromium (Debian: apt-get install -y chromium). Nothing is fetched from the network:
# the report is self-contained and the browser's background services are switched off.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 REPORT.html [OUT.png] [WIDTH] [HEIGHT]" >&2
    exit 2
fi
html=$(realpath "$1")
out=$(realpath -m "${2:-${html%.html}.png}")
width=${3:-1280}
height=${4:-4000}
[[ -f "$html" ]] || { echo "error: $html does not exist" >&2; exit 2; }

browser=""
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then browser=$name; break; fi
done
[[ -n "$browser" ]] || { echo "error: no chromium found (apt-get install -y chromium)" >&2; exit 2; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$out" --window-size="$width,$height" "file://$html" >/dev/null 2>&1
[[ -s "$out" ]] || { echo "error: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
