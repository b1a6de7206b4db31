#!/usr/bin/env bash
# crossalign GPU check: one command on the GPU machine, from an unpacked bundle (built by benchmarks/gpu-bundle.sh).
# Needs nothing from the machine but bash, coreutils, an NVIDIA driver and, for the PyTorch leg, a python3 with torch.
#
#   run-gpu-check.sh OUT [--device cuda|cpu] [--python PY] [--repeat N] [--iterations N] [--budget SECONDS]
#
# Steps (each with its own time limit; one that cannot run writes one line saying why, and the rest goes on):
#   gpu     nvidia-smi: GPU name, driver, memory, compute capability, the CUDA version the driver supports
#   cpu     the bundled JRE runs TFLite on the bundled inputs: every tensor against the bundled reference, every conv
#           against a float64 host conv fed what cuDNN is fed
#   cudnn   every cuDNN forward algorithm on every conv, TF32 off and on: time, error vs TFLite, bitwise repeats;
#           tried with the CUDA 13.1 bindings, then the CUDA 12.9 ones (whichever runtime the machine has)
#   torch   python3 gpu_check.py: the PyTorch port (or its per-op conv reference) under each cuda-config profile
#   summary check.json (everything) and summary.md (for a reader, with the README table's rows)
# The whole check keeps within --budget (default 420 s): each step's limit is cut to what is left.
# Exit: 0 every step ran, 1 a step ran and found a problem, 2 a step could not run (the summary says which and why).
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 || "$1" == -* ]]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
out="$1"
shift
device=cuda
python=python3
repeat=5
iterations=20
budget=420
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    *) echo "run-gpu-check: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out" || exit 2
out="$(cd "$out" && pwd)"
java="$here/jre/bin/java"
lib="$here/lib"
cache="$(mktemp -d "${TMPDIR:-/tmp}/crossalign-javacpp.XXXXXX")"
trap 'rm -rf "$cache"' EXIT
jopts=(-Xmx6g -Dorg.bytedeco.javacpp.cachedir="$cache" -XX:+UseSerialGC)
main=dev.crossalign.cli.GpuCheckCommand
cp_common="$lib/crossalign-gpu.jar:$lib/common/*"
steps="$out/steps.tsv"
: > "$steps"
worst=0
deadline=$(( $(date +%s) + budget ))

# step NAME LIMIT_S LOG COMMAND...: runs it under a time limit, records exit status, seconds and a one-line note.
step() {
  local name="$1" limit="$2" log="$3"
  shift 3
  local t0 t1 rc note left
  left=$(( deadline - $(date +%s) - 15 ))
  if [[ $left -lt 20 ]]; then
    record "$name" 2 "skipped: the check's time budget (--budget $budget s) is spent"
    return 2
  fi
  [[ $limit -gt $left ]] && limit=$left
  t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" > "$log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    note="timed out after ${limit}s (see $(basename "$log"))"
  elif [[ $rc -eq 0 ]]; then
    note="$(grep -v '^\s*$' "$log" | tail -1)"
  else
    note="$(grep -E '^(gpu-check|torch: unavailable|Error|Exception)' "$log" | tail -1)"
    [[ -n "$note" ]] || note="$(grep -v '^\s*$' "$log" | tail -1)"
  fi
  note="$(printf '%s' "$note" | tr '\t\r' '  ' | cut -c1-400)"
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')" "$note" >> "$steps"
  echo "$name: exit $rc: $note"
  return $rc
}

record() { # NAME EXIT NOTE: a step that did not need a command
  printf '%s\t%s\t0.0\t%s\n' "$1" "$2" "$3" >> "$steps"
  echo "$1: exit $2: $3"
}

bump() { # keeps the worst exit status: 2 (could not run) > 1 (finding) > 0
  local rc=$1
  [[ $rc -gt 2 ]] && rc=2
  [[ $rc -gt $worst ]] && worst=$rc
  return 0
}

echo "crossalign GPU check: bundle $here, output $out, device $device"

# gpu
if command -v nvidia-smi > /dev/null 2>&1; then
  step gpu 30 "$out/nvidia-smi.log" nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap \
    --format=csv,noheader
  bump $?
  cp "$out/nvidia-smi.log" "$out/nvidia-smi.csv"
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1
else
  record gpu 2 "nvidia-smi not found: no NVIDIA driver on this machine"
  bump 2
fi

# cpu
if [[ -x "$java" ]]; then
  step cpu 120 "$out/cpu.log" "$java" "${jopts[@]}" -cp "$cp_common:$lib/javacpp13/*:$lib/tflite/*" $main cpu \
    --bundle "$here" --json "$out/cpu.json"
  bump $?
else
  record cpu 2 "no bundled JRE at $java: rebuild the bundle with benchmarks/gpu-bundle.sh"
  bump 2
fi

# cudnn: the CUDA and cuDNN libraries come from the machine: system CUDA, conda, or the nvidia-* wheels next to torch.
libdirs=()
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
         /usr/local/cuda-*/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/lib64 \
         "${CONDA_PREFIX:-/nonexistent}/lib"; do
  [[ -d "$d" ]] && libdirs+=("$d")
done
if command -v "$python" > /dev/null 2>&1; then
  while IFS= read -r d; do
    [[ -n "$d" && -d "$d" ]] && libdirs+=("$d")
  done < <(timeout 60 "$python" - <<'PY' 2>/dev/null
import glob, os, site, sys
roots = set(site.getsitepackages() if hasattr(site, "getsitepackages") else []) | {site.getusersitepackages()}
roots |= {p for p in sys.path if p.endswith("-packages")}
for r in sorted(roots):
    for d in sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib")) + glob.glob(os.path.join(r, "nvidia", "cu*", "lib"))
                    + [os.path.join(r, "torch", "lib")]):
        if os.path.isdir(d):
            print(d)
PY
)
fi
ld_path="$(IFS=:; echo "${libdirs[*]:-}")"
echo "cudnn: library folders searched: ${ld_path:-none}"
cudnn_rc=2
if [[ -x "$java" ]]; then
  for b in cuda13 cuda12; do
    if [[ "$b" == cuda13 ]]; then cp_b="$cp_common:$lib/javacpp13/*:$lib/cuda13/*"; else cp_b="$cp_common:$lib/cuda12/*"; fi
    LD_LIBRARY_PATH="$ld_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" step "cudnn-$b" 240 "$out/cudnn-$b.log" \
      "$java" "${jopts[@]}" -cp "$cp_b" $main cudnn --bundle "$here" --json "$out/cudnn-$b.json" \
      --repeat "$repeat" --iterations "$iterations"
    cudnn_rc=$?
    cp "$out/cudnn-$b.json" "$out/cudnn.json" 2>/dev/null
    [[ $cudnn_rc -ne 2 ]] && break # ran, found something, or timed out: the other bindings would not do better
  done
  bump $cudnn_rc
else
  record cudnn 2 "no bundled JRE"
  bump 2
fi

# torch
if command -v "$python" > /dev/null 2>&1; then
  step torch 240 "$out/torch.log" "$python" "$here/python/gpu_check.py" --bundle "$here" --json "$out/torch.json" \
    --device "$device" --repeat "$repeat"
  bump $?
else
  record torch 2 "no $python on the PATH: the PyTorch leg needs a python3 with torch"
  bump 2
fi

# summary
if [[ -x "$java" ]]; then
  "$java" -Xmx1g -cp "$cp_common" $main summary --dir "$out" > "$out/summary.log" 2>&1 \
    || { echo "summary: failed: $(tail -1 "$out/summary.log")"; bump 2; }
fi
echo "results: $out (summary.md, check.json, steps.tsv, *.json, *.log); exit $worst"
exit $worst
