#!/usr/bin/env bash
# Refresh the vendored front-end files from npm (versions pinned in package.json / package-lock.json).
# The copies are committed, so `make run` needs no npm; run this only to update them.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json "$tmp/"
[ -f package-lock.json ] && cp package-lock.json "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund --ignore-scripts --silent)
cp "$tmp/package-lock.json" package-lock.json
nm="$tmp/node_modules"

kern=static/vendor/kern
rm -rf "$kern" && mkdir -p "$kern/fonts/fira-sans"
cp "$nm/@kern-ux/native/dist/kern.min.css" "$nm/@kern-ux/native/dist/kern-utilities.min.css" \
   "$nm/@kern-ux/native/dist/kern-grid.min.css" "$kern/"
cp "$nm/@kern-ux/native/dist/fonts/fira-sans.css" "$kern/fonts/"
# Only the font files the stylesheet actually references.
grep -o 'fira-sans/[A-Za-z-]*\.woff2' "$kern/fonts/fira-sans.css" | sort -u | while read -r f; do
  cp "$nm/@kern-ux/native/dist/fonts/$f" "$kern/fonts/$f"
done
cp "$nm/@kern-ux/native/LICENSE.md" "$kern/LICENSE.md"

htmx=static/vendor/htmx
rm -rf "$htmx" && mkdir -p "$htmx"
cp "$nm/htmx.org/dist/htmx.min.js" "$htmx/"
cp "$nm/htmx.org/LICENSE" "$htmx/LICENSE"

# Leaflet for the project map; leaflet.css references images/ relatively, so keep that layout.
leaflet=static/vendor/leaflet
rm -rf "$leaflet" && mkdir -p "$leaflet/images"
cp "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$leaflet/"
cp "$nm/leaflet/dist/images/"* "$leaflet/images/"
cp "$nm/leaflet/LICENSE" "$leaflet/LICENSE"

# axe-core is for the browser tests only; it is not served by the portal.
axe=tests/browser/vendor
mkdir -p "$axe"
cp "$nm/axe-core/axe.min.js" "$axe/axe.min.js"
cp "$nm/axe-core/LICENSE" "$axe/axe-core.LICENSE"

# Source maps are not vendored, so drop the comments that name them: the production static storage
# (ManifestStaticFilesStorage) refuses to build when a CSS/JS file references a file that is not there.
find static/vendor -type f \( -name '*.js' -o -name '*.css' \) -print0 | while IFS= read -r -d '' f; do
  sed -i -E -e '\#^//[#@] sourceMappingURL=.*$#d' -e 's#/\*[#@] sourceMappingURL=[^*]*\*/##g' "$f"
done

for pkg in @kern-ux/native htmx.org leaflet axe-core; do
  printf '%s %s\n' "$pkg" "$(node -p "require('$nm/$pkg/package.json').version")"
done > static/vendor/VERSIONS
echo "Vendored: $(tr '\n' ' ' < static/vendor/VERSIONS)"
