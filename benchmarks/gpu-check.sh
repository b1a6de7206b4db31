#!/usr/bin/env bash
# One device check for a machine with an NVIDIA GPU, a few minutes end to end:
#   - the GPU (nvidia-smi), driver / CUDA / Java versions
#   - `crossalign determinism MODEL --device cuda --repeat N` under the deterministic and tf32-default profiles
#   - the cuDNN conv-algorithm experiment (`--conv-algos`) under both profiles
#   - the external-delegate smoke test when gcc is there (the test delegate that claims no nodes must match exactly)
# Numbers go to OUT/ (JSON per run, plus summary.txt with every console line and exit status).
#
# Usage: benchmarks/gpu-check.sh [--jar target/crossalign.jar] [--model M.tflite] [--out DIR] [--repeat N] [--java BIN]
# Build first with: mvn -B -Pgpu -DskipTests package   (or use the docker image, docker/README.md)
# For the GPU test machine (no Java, no Maven, 64 MiB per call) use benchmarks/gpu-bundle.sh instead (benchmarks/README.md).
#
# No Java on the box? Ship a runtime with the jar instead of installing one. On a build machine with JDK 17:
#   jlink --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.sql,jdk.unsupported \
#         --strip-debug --no-man-pages --no-header-files --compress=2 --output crossalign-jre
#   (java.desktop: java.beans, used by Jackson; jdk.unsupported: sun.misc.Unsafe, used by JavaCPP and protobuf;
#    check the list for your build with: jdeps --ignore-missing-deps --print-module-deps --multi-release 17 \
#    --class-path 'target/lib/*' target/crossalign.jar)
#   tar czf crossalign-gpu.tgz crossalign-jre target/crossalign.jar target/lib cuda-config benchmarks native
# and on the GPU box: tar xzf crossalign-gpu.tgz && benchmarks/gpu-check.sh --java crossalign-jre/bin/java
# The box still needs the CUDA 13.1 runtime, cuBLAS and cuDNN 9 libraries (see docker/README.md).
set -uo pipefail
# The deterministic profile needs cuBLAS's workspace config before the JVM starts (crossalign refuses otherwise).
export CUBLAS_WORKSPACE_CONFIG="${CUBLAS_WORKSPACE_CONFIG:-:4096:8}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$here/target/crossalign.jar"
model="$here/.cache/models/face_detection_short_range.tflite"
out="$here/target/gpu-check"
repeat=5
java_bin="${JAVA:-java}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --java) java_bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1" >&2; exit 2 ;;
  esac
done

mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
log() { echo "$*" | tee -a "$summary"; }

if ! command -v "$java_bin" >/dev/null 2>&1; then
  log "gpu-check: no Java found ($java_bin); see the jlink notes at the top of this script"
  exit 2
fi
[[ -f "$jar" ]] || { log "gpu-check: $jar not found; build with mvn -B -Pgpu -DskipTests package"; exit 2; }
[[ -f "$model" ]] || { log "gpu-check: model $model not found (.ci/fetch-models.sh fetches the test models)"; exit 2; }

log "# crossalign gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$summary"
  nvidia-smi 2>&1 | sed -n '1,4p' | tee -a "$summary"
else
  log "gpu: nvidia-smi not found (no NVIDIA driver?): the GPU runs below will exit 2"
fi
log "java: $("$java_bin" -version 2>&1 | head -1)"
log "crossalign: $("$java_bin" -jar "$jar" --version 2>&1 | tr '\n' ' ')"
log "model: $model"

status=0
run() { # name, then crossalign arguments
  local name="$1"; shift
  log ""
  log "## $name: crossalign $*"
  local t0=$(date +%s.%N)
  "$java_bin" -Xmx8g -jar "$jar" "$@" >> "$summary" 2>&1
  local rc=$?
  local t1=$(date +%s.%N)
  log "exit $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
  [[ $rc -gt 1 ]] && status=1 # 0 = deterministic / aligned, 1 = a finding, >1 = could not run
  return 0
}

for profile in deterministic tf32-default; do
  run "determinism-$profile" determinism "$model" --device cuda --backends tflite,torch,onnxruntime \
      --profile "$profile" --repeat "$repeat" --json "$out/determinism-$profile.json"
  run "conv-algos-$profile" determinism "$model" --device cuda --conv-algos --profile "$profile" \
      --repeat "$repeat" --json "$out/conv-algos-$profile.json"
done
run "profile-diff" determinism "$model" --device cuda --backends torch --profile deterministic \
    --compare-profile tf32-default --repeat 2 --json "$out/profile-diff.json"
run "validate-cuda" validate "$model" --device cuda --json "$out/validate-cuda.json"

if command -v gcc >/dev/null 2>&1 && [[ -x "$here/native/build.sh" ]]; then
  bash "$here/native/build.sh" "$out/native" >> "$summary" 2>&1
  run "external-delegate" validate "$model" --backends tflite,torch --mode chained \
      --tflite-delegate "$out/native/libtest_delegate.so"
fi

log ""
log "results: $out (summary.txt, *.json)"
exit $status
