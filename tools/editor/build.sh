#!/usr/bin/env bash
# Bundles the workflow editor (CodeMirror 6, YAML, lint, completion of the case-type schema's
# keys) into admin/pages/static/editor.js, which the server embeds and serves; run it after
# changing editor.js, the pinned packages or docs/schema/case-type.json, and commit the result.
#   tools/editor/build.sh          build
#   tools/editor/build.sh --check  fail when the committed bundle is not what the sources build
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules/codemirror ] || npm ci --no-audit --no-fund --loglevel=error
out=../../admin/pages/static/editor.js
banner="/* Yimen workflow editor, bundled by tools/editor/build.sh from tools/editor/editor.js: CodeMirror 6 and Lezer (MIT licence, Marijn Haverbeke and others). */"
args=(editor.js --bundle --minify --format=iife --target=es2020 --legal-comments=eof --log-level=warning "--banner:js=$banner")
if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    node_modules/.bin/esbuild "${args[@]}" --outfile="$tmp"
    if ! cmp -s "$tmp" "$out"; then
        echo "admin/pages/static/editor.js is not what tools/editor builds: run tools/editor/build.sh and commit it" >&2
        exit 1
    fi
else
    node_modules/.bin/esbuild "${args[@]}" --outfile="$out"
fi
