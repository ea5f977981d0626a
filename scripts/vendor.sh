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

# Fira Sans as Latin subsets: the full faces are 126–148 KiB each (Greek, Cyrillic, Vietnamese, many features);
# the subsets cover German, English and the Latin Extended-A letters of people's names (Turkish, Polish, Czech …)
# with the default OpenType features and the hinting kept. The name table is kept whole, so each subset still
# carries its copyright and OFL-1.1 notice (OFL §2 allows modified versions; Fira Sans has no Reserved Font Name).
# fonttools (pyftsubset, with brotli for woff2) lives in a throwaway virtualenv, not in the project's.
FONT_UNICODES="U+0000-00FF,U+0100-017F,U+0192,U+0218-021B,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,\
U+1E9E,U+2000-206F,U+20AC,U+20BF,U+2122,U+2190-2193,U+2212,U+2215,U+FEFF,U+FFFD"
python3 -m venv "$tmp/fonttools"
"$tmp/fonttools/bin/pip" install --quiet --disable-pip-version-check "fonttools[woff]==4.69.1" "brotli==1.2.1"
for f in "$kern"/fonts/fira-sans/*.woff2; do
  "$tmp/fonttools/bin/pyftsubset" "$f" --unicodes="$FONT_UNICODES" --flavor=woff2 --name-IDs='*' \
    --name-languages='*' --output-file="$f.subset" 2>/dev/null
  mv "$f.subset" "$f"
done
# Swap to the fallback font while a face loads (text is never invisible), and tell the browser which characters
# the subsets have, so that it falls back per character instead of showing a missing glyph.
sed -i -E -e "s/^(\s*)font-style: (normal|italic);/\1font-style: \2;\n\1font-display: swap;\n\1unicode-range: ${FONT_UNICODES//,/, };/" \
  "$kern/fonts/fira-sans.css"

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
