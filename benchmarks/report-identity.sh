#!/usr/bin/env bash
# Reports identical apart from timings (issue 14's must-show, re-run by the lead on merged main): the three-way
# validate, --mode both, with two builds of crossalign on the same real models and arguments; each pair of JSON
# reports is compared with validate-json-diff.py (identical apart from timing_ms and the distinct counts the second
# left uncounted), the exit statuses and the -q verdict lines (stdout) must match.
#
#   benchmarks/report-identity.sh BEFORE AFTER [--out DIR] [MODEL.tflite ...] [-- MORE VALIDATE ARGUMENTS]
#
# Arguments after "--" go to both validate runs as they are (e.g. -- --truth, or -- --tolerance auto).
# BEFORE, AFTER: a launcher (target/crossalign/bin/crossalign) or a jar (target/crossalign.jar, run with java -jar).
# Copy a build out of a worktree that may be rebuilt while this runs (cp -r target/crossalign /tmp/before). Default
# models (from .cache, absolute paths, so both reports name them alike): face_detection_short_range,
# hand_landmark_full, selfie_segmentation (a custom op, run on TFLite's XNNPACK delegate kernel) and pose_landmark_full.
# Prints one line per model and a table row for benchmarks/README.md; the reports stay in DIR (default: a new
# /tmp/report-identity.XXXX). Exit 0 when every pair is identical, 1 when one differs, 2 on bad arguments.
set -u -o pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
usage() { echo "usage: $0 BEFORE AFTER [--out DIR] [MODEL.tflite ...] [-- VALIDATE ARGS]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
before="$1" after="$2"
shift 2
out=""
models=()
more=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 ]] || usage; out="$2"; shift 2 ;;
    --) shift; more=("$@"); break ;;
    -*) usage ;;
    *) models+=("$(realpath "$1")"); shift ;;
  esac
done
if [[ ${#models[@]} -eq 0 ]]; then
  for m in face_detection_short_range hand_landmark_full selfie_segmentation; do
    models+=("$(realpath "$root/.cache/models/$m.tflite")")
  done
  models+=("$(realpath "$root/.cache/extra/pose_landmark_full.tflite")")
fi
for m in "${models[@]}"; do
  [[ -f "$m" ]] || { echo "$0: model $m does not exist" >&2; exit 2; }
done
[[ -n "$out" ]] || out="$(mktemp -d /tmp/report-identity.XXXX)"
mkdir -p "$out"

# the command line of one build: a jar runs with java -jar, anything else is executed
command_of() {
  local b="$1"
  if [[ "$b" == *.jar ]]; then
    [[ -f "$b" ]] || { echo "$0: $b does not exist" >&2; exit 2; }
    echo "java -jar $(realpath "$b")"
  else
    [[ -x "$b" ]] || { echo "$0: $b is not an executable launcher or a .jar" >&2; exit 2; }
    realpath "$b"
  fi
}
cmd_before="$(command_of "$before")" || exit 2
cmd_after="$(command_of "$after")" || exit 2

status=0
names=()
echo "reports in $out; load: $(cut -d' ' -f1-3 /proc/loadavg); validate arguments added: ${more[*]:-none}"
for m in "${models[@]}"; do
  name="$(basename "$m" .tflite)"
  rcs=()
  for side in before after; do
    cmd="cmd_$side"
    # alternated per model, so both builds of a model run under the same load
    ${!cmd} validate "$m" --backends tflite,torch,onnxruntime --mode both --json "$out/$name.$side.json" -q "${more[@]}" \
      > "$out/$name.$side.out" 2> "$out/$name.$side.err"
    rcs+=($?)
  done
  diff="$(/usr/bin/python3 "$here/validate-json-diff.py" "$out/$name.before.json" "$out/$name.after.json" 2>&1)"
  drc=$?
  # the -q verdict line holds no time: byte for byte
  if cmp -s "$out/$name.before.out" "$out/$name.after.out"; then console="verdict line identical"; else
    console="verdict line DIFFERENT"; drc=1; fi
  if [[ $drc -ne 0 || ${rcs[0]} -ne ${rcs[1]} ]]; then
    status=1
    echo "$name: DIFFERENT (exit ${rcs[0]} -> ${rcs[1]}): $diff; $console"
  else
    names+=("$name")
    echo "$name: exit ${rcs[0]} both; $diff; $console"
  fi
done
if [[ $status -eq 0 ]]; then
  echo "all ${#models[@]} identical apart from timing_ms: ${names[*]}"
fi
exit $status
