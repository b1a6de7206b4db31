#!/usr/bin/env bash
# Builds the GPU check bundle: everything the GPU test machine (NVIDIA GPU, CUDA driver, python3 with torch; no Java,
# no Maven, nothing reachable) needs for benchmarks/gpu/run-gpu-check.sh, as one folder and one .tar.gz under the
# size limit (default 60 MiB; the run tool carries at most 64 MiB).
#
#   benchmarks/gpu-bundle.sh [--out DIR] [--model NAME=FILE]... [--seed N] [--limit-mib N] [--skip-build]
#                            [--port-dir DIR]
#
# What goes in (DIR, default target/gpu-bundle; the archive is DIR.tgz):
#   jre/            jlink'd Java 17 runtime: only the modules jdeps finds, stripped, compressed
#   lib/crossalign-gpu.jar   the classes reachable from dev.crossalign.engine.gpu and the command that runs it,
#                   dev.crossalign.cli.GpuCheckCommand (jdeps closure over crossalign.jar);
#                   the build fails if that closure reaches libtorch, ONNX Runtime or protobuf classes
#   lib/common      Jackson, picocli, flatbuffers        lib/javacpp13  JavaCPP 1.5.13 (+ linux-x86_64)
#   lib/tflite      TFLite 2.20 bindings + natives (the CPU reference)
#   lib/cuda13      cuda 13.1-9.19-1.5.13 bindings + its JNI libraries for cudart and cuDNN only
#   lib/cuda12      JavaCPP 1.5.12 + cuda 12.9-9.10-1.5.12 the same way (for machines with a CUDA 12 runtime);
#                   the build checks with javap that every cuda method crossalign calls exists there with the same
#                   descriptor
#   models/NAME/    model.tflite, inputs.npz (seed N), reference.npz (every tensor TFLite captured), weights.npz,
#                   manifest.json; and model.py + weights.pth from --port-dir DIR/NAME/ when given
#   cuda-config/    the determinism profiles          python/gpu_check.py    the PyTorch leg
#   run-gpu-check.sh, README.md, BUILD.txt (versions, sizes, commit)
# Default models: face_detection_short_range and hand_landmark_lite from .cache/models (bash .ci/fetch-models.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/target/gpu-bundle"
seed=0
limit_mib=60
skip_build=false
port_dir=""
models=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --model) models+=("$2"); shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --limit-mib) limit_mib="$2"; shift 2 ;;
    --skip-build) skip_build=true; shift ;;
    --port-dir) port_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "gpu-bundle: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ ${#models[@]} -eq 0 ]]; then
  models=("face_detection_short_range=$root/.cache/models/face_detection_short_range.tflite"
          "hand_landmark_lite=$root/.cache/models/hand_landmark_lite.tflite")
fi
fail() { echo "gpu-bundle: $*" >&2; exit 1; }
say() { echo "gpu-bundle: $*"; }
for m in "${models[@]}"; do
  [[ -f "${m#*=}" ]] || fail "model ${m#*=} not found (bash .ci/fetch-models.sh fetches the test models)"
done
for tool in jlink jdeps javap jar java tar; do
  command -v $tool > /dev/null || fail "$tool not found: the bundle is built with a JDK 17"
done

# 1. crossalign's jar and its class path
cd "$root"
if [[ "$skip_build" != true ]]; then
  say "building crossalign (mvn package -DskipTests)"
  mvn -B -q -o package -DskipTests > /dev/null || mvn -B -q package -DskipTests > /dev/null \
    || fail "mvn package failed"
fi
[[ -f target/crossalign.jar && -d target/lib ]] || fail "target/crossalign.jar or target/lib missing (drop --skip-build)"
m2="${MAVEN_REPO:-$HOME/.m2/repository}"

# 2. the jars Maven's default build does not bring: the linux-x86_64 JNI jars of the cuda presets, and the CUDA 12
#    bindings with their JavaCPP
cuda13=13.1-9.19-1.5.13
cuda12=12.9-9.10-1.5.12
extra=(org.bytedeco:cuda:$cuda13:jar:linux-x86_64 org.bytedeco:cuda:$cuda12:jar
       org.bytedeco:cuda:$cuda12:jar:linux-x86_64 org.bytedeco:javacpp:1.5.12:jar
       org.bytedeco:javacpp:1.5.12:jar:linux-x86_64)
jarpath() { # groupId:artifactId:version:jar[:classifier] -> path in the local repository
  local g a v c
  IFS=: read -r g a v _ c <<< "$1"
  echo "$m2/${g//.//}/$a/$v/$a-$v${c:+-$c}.jar"
}
for art in "${extra[@]}"; do
  p="$(jarpath "$art")"
  if [[ ! -f "$p" ]]; then
    say "fetching $art"
    mvn -B -q dependency:get -Dartifact="$art" -Dtransitive=false > /dev/null || fail "cannot fetch $art"
  fi
done

work="$root/target/gpu-bundle-work"
rm -rf "$work" "$out" "$out.tgz"
mkdir -p "$work" "$out/lib/common" "$out/lib/javacpp13" "$out/lib/tflite" "$out/lib/cuda13" "$out/lib/cuda12" \
  "$out/python" "$out/cuda-config" "$out/models"
lib="$root/target/lib"
cp "$lib"/jackson-databind-*.jar "$lib"/jackson-core-*.jar "$lib"/jackson-annotations-*.jar "$lib"/picocli-*.jar \
   "$lib"/flatbuffers-java-*.jar "$out/lib/common/"
cp "$lib/javacpp-1.5.13.jar" "$lib/javacpp-1.5.13-linux-x86_64.jar" "$out/lib/javacpp13/"
cp "$lib"/tensorflow-lite-2.20.0-1.5.13.jar "$lib"/tensorflow-lite-2.20.0-1.5.13-linux-x86_64.jar "$out/lib/tflite/"

# JNI jar trimmed to cudart + cuDNN (the presets' other 25 JNI libraries are 35 MB the check never loads)
trim_cuda() { # VERSION DEST
  local src dir
  src="$(jarpath "org.bytedeco:cuda:$1:jar:linux-x86_64")"
  dir="$work/trim-$1"
  mkdir -p "$dir"
  (cd "$dir" && jar xf "$src" org/bytedeco/cuda/linux-x86_64/libjnicudart.so \
      org/bytedeco/cuda/linux-x86_64/libjnicudnn.so META-INF/MANIFEST.MF)
  [[ -f "$dir/org/bytedeco/cuda/linux-x86_64/libjnicudnn.so" ]] || fail "$src has no libjnicudnn.so"
  (cd "$dir" && jar --create --file "$2/cuda-$1-linux-x86_64-cudart-cudnn.jar" --manifest META-INF/MANIFEST.MF org)
}
cp "$(jarpath "org.bytedeco:cuda:$cuda13:jar")" "$out/lib/cuda13/"
trim_cuda $cuda13 "$out/lib/cuda13"
cp "$(jarpath "org.bytedeco:cuda:$cuda12:jar")" "$(jarpath org.bytedeco:javacpp:1.5.12:jar)" \
   "$(jarpath org.bytedeco:javacpp:1.5.12:jar:linux-x86_64)" "$out/lib/cuda12/"
trim_cuda $cuda12 "$out/lib/cuda12"

# 3. crossalign-gpu.jar: the jdeps closure of dev.crossalign.engine.gpu and its command (cli.GpuCheckCommand, with its
#    nested classes) over crossalign.jar
say "computing the class closure of dev.crossalign.engine.gpu and cli.GpuCheckCommand"
# crossalign's classes: the cli module's jar and the other modules' jars in target/lib, in one folder
mkdir -p "$work/classes"
for j in "$root/target/crossalign.jar" "$lib"/crossalign-*.jar; do (cd "$work/classes" && jar xf "$j"); done
jdeps --multi-release 17 -verbose:class -filter:none --ignore-missing-deps -cp "$lib/*" "$work/classes" \
  > "$work/deps.txt" 2> "$work/jdeps.err" || fail "jdeps failed: $(tail -1 "$work/jdeps.err")"
# The seeds: the GPU check's package and the backend providers it opens through java.util.ServiceLoader (jdeps does
# not see a ServiceLoader; engine.Reference opens TFLite through Backends.open). dev.crossalign.onnx classes enter
# the jar but are not followed: the GPU check never runs them (BackendSpec names OnnxModel only in signatures), and
# following them would pull in protobuf.
providers="dev.crossalign.backend.tflite.TfliteProvider dev.crossalign.backend.tflite.TfliteXnnpackProvider dev.crossalign.backend.cudnn.CudnnProvider"
awk -v providers="$providers" '
  /->/ && $1 ~ /^dev\.crossalign\./ { edges[$1] = edges[$1] " " $3; if ($1 ~ /^dev\.crossalign\.(engine\.gpu\.|cli\.GpuCheckCommand($|\$))/) seed[$1] = 1 }
  END {
    n = 0
    np = split(providers, pv, " ")
    for (i = 1; i <= np; i++) seed[pv[i]] = 1
    for (s in seed) { stack[n++] = s }
    while (n > 0) {
      c = stack[--n]
      if (c in seen) continue
      seen[c] = 1
      if (c !~ /^dev\.crossalign\./ || c ~ /^dev\.crossalign\.onnx\./) continue
      k = split(edges[c], d, " ")
      for (i = 1; i <= k; i++) if (!(d[i] in seen)) stack[n++] = d[i]
    }
    for (c in seen) print c
  }' "$work/deps.txt" | sort > "$work/closure.txt"
grep -q '^dev\.crossalign\.cli\.GpuCheckCommand$' "$work/closure.txt" || fail "GpuCheckCommand is not in crossalign's jars"
if grep -E '^(org\.bytedeco\.pytorch|ai\.onnxruntime|com\.google\.protobuf|ai\.onnx)\.' "$work/closure.txt" \
   > "$work/forbidden.txt"; then
  fail "the GPU check reaches $(wc -l < "$work/forbidden.txt") libtorch/ONNX Runtime/protobuf classes, e.g. $(head -1 "$work/forbidden.txt")"
fi
mkdir -p "$work/slim"
cp -r "$work/classes/cuda-config" "$work/slim/"
(cd "$work/classes" && grep '^dev\.crossalign\.' "$work/closure.txt" | tr . / | sed 's/$/.class/' \
   | while read -r f; do [[ -f "$f" ]] && echo "$f"; done > "$work/slim-files.txt")
(cd "$work/classes" && tar cf - -T "$work/slim-files.txt") | (cd "$work/slim" && tar xf -)
# the providers the slim jar holds, for ServiceLoader (the full list names libtorch's and ONNX Runtime's too)
mkdir -p "$work/slim/META-INF/services"
for p in $providers; do
  grep -qx "$p" "$work/closure.txt" || fail "the backend provider $p is not in crossalign's jars"
  echo "$p"
done > "$work/slim/META-INF/services/dev.crossalign.backend.BackendProvider"
jar --create --file "$out/lib/crossalign-gpu.jar" --main-class dev.crossalign.cli.GpuCheckCommand -C "$work/slim" .
say "crossalign-gpu.jar: $(wc -l < "$work/slim-files.txt") classes"

# 4. the CUDA 12.9 bindings must have every cuda method crossalign calls, with the same descriptor
say "checking crossalign's cuda calls against the cuda $cuda12 bindings"
javap -c -p -cp "$out/lib/crossalign-gpu.jar" $(grep '^dev\.crossalign\.' "$work/closure.txt" | grep -F '.backend.cudnn.') \
  | grep -oE 'Method org/bytedeco/cuda/[^ ]+' | sed 's/^Method //' | sort -u > "$work/cuda-calls.txt"
[[ -s "$work/cuda-calls.txt" ]] || fail "found no cuda calls in crossalign's cuDNN classes (javap output changed?)"
cp12="$(ls "$out"/lib/cuda12/*.jar | paste -sd: -)"
classes="$(cut -d. -f1 "$work/cuda-calls.txt" | sort -u | tr / . | paste -sd' ' -)"
# one javap for all classes: "CLASS.name:descriptor" per member; JavaCPP Pointer's members count for every class
# (inherited: close(), ...)
javap -s -p -cp "$cp12" $classes org.bytedeco.javacpp.Pointer 2>/dev/null | awk -v list="$classes" '
  /^[a-z ]*(class|interface) / { c = $0; sub(/^[a-z ]*(class|interface) /, "", c); sub(/[ <].*/, "", c); gsub(/\./, "/", c); next }
  /descriptor:/ { if (c == "org/bytedeco/javacpp/Pointer") ptr[++np] = name ":" $2; else print c "." name ":" $2; next }
  /\(/ { line = $0; sub(/\(.*/, "", line); n = split(line, w, " "); name = w[n] }
  END { k = split(list, cl, " "); for (i = 1; i <= k; i++) { gsub(/\./, "/", cl[i]); for (j = 1; j <= np; j++) print cl[i] "." ptr[j] } }
' > "$work/cuda12-members.txt"
[[ -s "$work/cuda12-members.txt" ]] || fail "javap listed no member of the cuda $cuda12 bindings"
missing="$(grep -vxF -f "$work/cuda12-members.txt" "$work/cuda-calls.txt" | grep -v '<init>' || true)"
[[ -z "$missing" ]] || fail "the cuda $cuda12 bindings lack: $(echo "$missing" | tr '\n' ' ')"
say "all $(wc -l < "$work/cuda-calls.txt") cuda methods crossalign calls exist in cuda $cuda12"

# 5. the runtime: the JDK modules jdeps finds for each jar of the bundle (not recursively: Jackson's optional
#    java.sql / java.beans support, which it guards at run time, would otherwise pull in java.desktop), plus
#    jdk.unsupported (JavaCPP's Unsafe)
say "jlink"
mods="java.base,jdk.unsupported,java.management" # java.management: JavaCPP reads its MXBeans when present
for group in "common javacpp13 tflite cuda13" "common cuda12"; do
  mp=""
  for d in $group; do mp="$mp${mp:+:}$out/lib/$d"; done
  for d in $group; do
    for j in "$out/lib/$d"/*.jar; do
      m="$(jdeps --multi-release 17 --ignore-missing-deps --no-recursive --print-module-deps --module-path "$mp" "$j" \
        2> "$work/jdeps-mods.err")" || fail "jdeps --print-module-deps $j failed: $(tail -1 "$work/jdeps-mods.err")"
      mods="$mods,$m"
    done
  done
  m="$(jdeps --multi-release 17 --ignore-missing-deps --no-recursive --print-module-deps --class-path "$mp" \
    "$out/lib/crossalign-gpu.jar" 2> "$work/jdeps-mods.err")" || fail "jdeps crossalign-gpu.jar: $(tail -1 "$work/jdeps-mods.err")"
  mods="$mods,$m"
done
mods="$(echo "$mods" | tr ',' '\n' | grep -E '^(java|jdk)\.' | sort -u | paste -sd, -)"
say "modules: $mods"
jlink --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=2 --output "$out/jre"
strip --strip-unneeded "$out/jre/lib/server/libjvm.so" 2>/dev/null || true

# 6. the models: the TFLite reference runs here, once
say "exporting models (TFLite reference, seed $seed)"
args=()
for m in "${models[@]}"; do args+=(--model "$m"); done
java -cp "$root/target/crossalign.jar:$lib/*" dev.crossalign.cli.GpuCheckCommand export --bundle "$out" --seed "$seed" "${args[@]}"
if [[ -n "$port_dir" ]]; then
  for m in "${models[@]}"; do
    n="${m%%=*}"
    if [[ -f "$port_dir/$n/model.py" && -f "$port_dir/$n/weights.pth" ]]; then
      cp "$port_dir/$n/model.py" "$port_dir/$n/weights.pth" "$out/models/$n/"
      say "$n: generated PyTorch port added from $port_dir/$n"
    else
      say "$n: no model.py + weights.pth in $port_dir/$n: the PyTorch leg uses the per-op reference"
    fi
  done
fi

# 7. scripts, profiles, notes
cp "$root/benchmarks/gpu/run-gpu-check.sh" "$out/"
cp "$root/benchmarks/gpu/gpu_check.py" "$out/python/"
cp "$root/benchmarks/gpu/BUNDLE.md" "$out/README.md"
cp "$root"/cuda-config/*.properties "$out/cuda-config/"
chmod +x "$out/run-gpu-check.sh"

# 8. sizes
(cd "$(dirname "$out")" && tar czf "$out.tgz" "$(basename "$out")")
folder_bytes=$(du -sb "$out" | cut -f1)
tgz_bytes=$(stat -c %s "$out.tgz")
limit_bytes=$(( limit_mib * 1024 * 1024 ))
{
  echo "crossalign GPU bundle, built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null)"; then
    git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
  else
    commit="unknown (no git checkout)"
  fi
  echo "commit: $commit"
  echo "java: $(java -version 2>&1 | head -1); modules: $mods"
  echo "models: ${models[*]##*/}; seed $seed"
  echo "folder: $folder_bytes bytes; archive $(basename "$out").tgz: $tgz_bytes bytes; limit $limit_mib MiB"
  echo "sizes:"
  (cd "$out" && du -sb jre lib/* models/* python cuda-config | sed 's/^/  /')
} > "$out/BUILD.txt"
cat "$out/BUILD.txt"
(cd "$(dirname "$out")" && tar czf "$out.tgz" "$(basename "$out")")
tgz_bytes=$(stat -c %s "$out.tgz")
if [[ $tgz_bytes -gt $limit_bytes ]]; then
  fail "bundle archive is $tgz_bytes bytes, over the limit of $limit_mib MiB ($limit_bytes bytes)"
fi
say "ok: $out.tgz ($(( tgz_bytes / 1024 / 1024 )) MiB, limit $limit_mib MiB); folder $out ($(( folder_bytes / 1024 / 1024 )) MiB)"
