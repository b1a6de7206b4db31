package dev.crossalign.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crossalign.backend.cudnn.Cudnn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole bundle: benchmarks/gpu-bundle.sh builds it under the limit, and its archive, unpacked in an empty folder
 * and run with no Java on the PATH ({@code env -i PATH=/usr/bin:/bin}), runs the CPU paths from the bundled JRE and
 * says in one line for each GPU part why it did not run.
 *
 * <p>Too slow for every build (mvn package, jlink and the TFLite export: about 7 minutes on 2 shared cores), so it
 * runs only when asked: {@code -Dcrossalign.gpuBundle=build} builds the bundle first (with --skip-build: run
 * {@code mvn package} before), {@code -Dcrossalign.gpuBundle=PATH.tgz} tests an archive already built.
 */
class GpuBundleBuildTest {
  static final long LIMIT = 60L * 1024 * 1024;
  static final java.util.regex.Pattern JDK_TOOLS = java.util.regex.Pattern.compile(
      "java|javac|javadoc|javap|jar|jarsigner|jlink|jdeps|jshell|jcmd|jps|jstack|jmap|jinfo|jstat|jstatd|jfr|jdb|"
          + "jimage|jpackage|jhsdb|jconsole|jrunscript|keytool|serialver|rmiregistry|jdeprscan|jmod");

  @TempDir Path tmp;

  @Test
  void bundleBuildsUnderTheLimitAndRunsItsCpuPathsWithoutJavaOnThePath() throws Exception {
    String what = System.getProperty("crossalign.gpuBundle", "");
    assumeTrue(!what.isEmpty(), "the bundle test runs with -Dcrossalign.gpuBundle=build or =PATH.tgz (minutes)");
    Path root = Paths.get(System.getProperty("user.dir"));
    Path tgz;
    if (what.equals("build")) {
      Path out = tmp.resolve("gpu-bundle");
      Result b = exec(List.of("bash", root.resolve("benchmarks/gpu-bundle.sh").toString(), "--skip-build", "--out",
          out.toString()), Map.of(), 1500);
      assertThat(b.exit()).as(b.output()).isZero();
      assertThat(b.output()).contains("gpu-bundle: ok: ");
      tgz = tmp.resolve("gpu-bundle.tgz");
    } else {
      tgz = Paths.get(what);
    }
    assertThat(Files.size(tgz)).isLessThan(LIMIT);

    Path empty = Files.createDirectories(tmp.resolve("unpacked"));
    assertThat(exec(List.of("tar", "xzf", tgz.toString(), "-C", empty.toString()), Map.of(), 300).exit()).isZero();
    Path bundle = empty.resolve("gpu-bundle");
    Path out = tmp.resolve("out");
    // env -i PATH=/usr/bin:/bin, less the JDK's tools (this machine has /usr/bin/java): a folder of links to the rest
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    for (String dir : List.of("/usr/bin", "/bin")) {
      try (var files = Files.list(Paths.get(dir))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          String n = f.getFileName().toString();
          if (!JDK_TOOLS.matcher(n).matches() && !Files.exists(bin.resolve(n), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(bin.resolve(n), f);
          }
        }
      }
    }
    assertThat(exec(List.of("/usr/bin/env", "-i", "PATH=" + bin, "/bin/sh", "-c", "command -v java"), Map.of(), 30)
        .exit()).isNotZero();
    Result run = exec(List.of("/usr/bin/env", "-i", "PATH=" + bin, "HOME=" + tmp, "/bin/bash",
        bundle.resolve("run-gpu-check.sh").toString(), out.toString(), "--device", "cpu", "--python",
        "/usr/bin/python3", "--repeat", "2", "--iterations", "2"), Map.of(), 900);
    String steps = Files.readString(out.resolve("steps.tsv"), StandardCharsets.UTF_8);
    Map<String, String[]> byStep = new LinkedHashMap<>();
    for (String line : steps.split("\n")) {
      String[] f = line.split("\t", 4);
      byStep.put(f[0], f);
    }
    assertThat(byStep.get("cpu")[1]).as(steps).isEqualTo("0");
    assertThat(byStep.get("cudnn-cuda13")[1]).as(steps).isEqualTo("2");
    assertThat(byStep.get("cudnn-cuda13")[3]).startsWith("gpu-check cudnn: " + Cudnn.NEEDS_GPU);
    assertThat(byStep.get("cudnn-cuda12")[3]).startsWith("gpu-check cudnn: " + Cudnn.NEEDS_GPU);
    assertThat(byStep.get("gpu")[3]).contains("nvidia-smi not found");
    if (Files.isExecutable(Paths.get("/usr/bin/python3"))) {
      assertThat(byStep.get("torch")[1]).as(steps).isEqualTo("0");
    }
    assertThat(run.exit()).as(run.output()).isEqualTo(2); // the GPU parts could not run
    JsonNode check = Json.MAPPER.readTree(out.resolve("check.json").toFile());
    assertThat(check.get("cpu").get("pass").asBoolean()).isTrue();
    assertThat(check.get("cudnn").get("status").asText()).isEqualTo("unavailable");
    assertThat(Files.readString(out.resolve("summary.md"))).contains("## README rows").contains("cudnn: unavailable");
    // every step's note is one line
    for (String[] f : byStep.values()) {
      assertThat(f).hasSize(4);
      assertThat(f[3]).doesNotContain("\n").isNotBlank();
    }
  }

  record Result(int exit, String output) {}

  static Result exec(List<String> cmd, Map<String, String> env, int seconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path log = Files.createTempFile("gpu-bundle", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " took more than " + seconds + " s: " + Files.readString(log));
    }
    String out = Files.readString(log);
    Files.deleteIfExists(log);
    return new Result(p.exitValue(), out);
  }
}
