#!/usr/bin/env bash
# Compiles the test delegates in native/test-delegate/ into OUT_DIR (default target/native) with gcc.
# Called by the Maven build (exec-maven-plugin, phase generate-test-resources); nothing here is needed at run time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/../target/native}"
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "native/build.sh: $cc not found; the external delegate tests will be skipped" >&2
  exit 0
fi
mkdir -p "$out"
for src in test_delegate refusing_delegate not_a_delegate; do
  "$cc" -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -o "$out/lib$src.so" "$here/test-delegate/$src.c"
done
echo "native/build.sh: built $(ls "$out" | tr '\n' ' ')in $out"
