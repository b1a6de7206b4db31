package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crossalign.testutil.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The concurrent start of validate (natives loading on their own thread while the reference runs, the port prepared
 * on another, two lanes of legs) does not hang and does not change the report. A deadlock on JavaCPP's Loader lock
 * can only happen while classes are first initialised, once per JVM, so each try is a fresh JVM running the real
 * CLI: {@value #DEFAULT_TRIES} of them by default ({@code -Dcrossalign.test.concurrentStarts=N} for more), two at a
 * time so that their timings vary, each with a time limit; a child past it has its threads printed (jcmd
 * Thread.print) into the failure before it is killed.
 */
class ConcurrentStartTest {
  static final int DEFAULT_TRIES = 6;
  /** Generous: a child on this project's shared 2-core machine loads libtorch in 10-25 s under load. */
  static final long LIMIT_S = 300;
  private static final String[] MODELS = {"face_detection_short_range.tflite", "hand_landmark_lite.tflite",
      "palm_detection_lite.tflite"};

  @TempDir Path dir;

  private record Child(Process process, String model, Path json, Path log) {}

  @Test
  void freshJvmsFinishInTimeWithTheSameReportEachTime() throws Exception {
    int tries = Integer.getInteger("crossalign.test.concurrentStarts", DEFAULT_TRIES);
    Map<String, JsonNode> firstReport = new HashMap<>();
    List<Child> running = new ArrayList<>();
    for (int i = 0; i < tries; i++) {
      String model = MODELS[i % MODELS.length];
      running.add(start(TestModels.require(model), model, i));
      if (running.size() == 2 || i == tries - 1) {
        for (Child c : running) {
          JsonNode report = finish(c);
          JsonNode first = firstReport.putIfAbsent(c.model(), report);
          if (first != null) {
            assertThat(report).as("%s: report of a later fresh JVM (timing_ms aside)", c.model()).isEqualTo(first);
          }
        }
        running.clear();
      }
    }
    assertThat(firstReport).isNotEmpty();
  }

  private Child start(Path model, String name, int i) throws IOException {
    Path json = dir.resolve(i + ".json");
    Path log = dir.resolve(i + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xss64m", "-cp", System.getProperty("java.class.path"),
        dev.crossalign.cli.Main.class.getName(), "validate", model.toString(), "--backends",
        "tflite,torch,onnxruntime", "--mode", "both", "--json", json.toString(), "-q")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new Child(p, name, json, log);
  }

  /** Waits for the child within the limit; its report without timing_ms (the validation's verdict is not asked). */
  private JsonNode finish(Child c) throws Exception {
    if (!c.process().waitFor(LIMIT_S, TimeUnit.SECONDS)) {
      String threads = threadDump(c.process().pid());
      c.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      fail("validate of %s in a fresh JVM did not finish in %d s; its threads:%n%s", c.model(), LIMIT_S, threads);
    }
    String out = Files.readString(c.log(), StandardCharsets.UTF_8);
    assertThat(c.process().exitValue()).as("exit status of validate %s; output:%n%s", c.model(), out).isIn(0, 1);
    ObjectNode doc = (ObjectNode) new ObjectMapper().readTree(c.json().toFile());
    assertThat(doc.get("timing_ms").get("total").asDouble()).isPositive();
    doc.remove("timing_ms");
    assertThat(doc.get("tensors").size()).as("%s: tensors compared", c.model()).isPositive();
    return doc;
  }

  private static String threadDump(long pid) {
    try {
      Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
      byte[] out = j.getInputStream().readAllBytes();
      j.waitFor(60, TimeUnit.SECONDS);
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException | InterruptedException e) {
      return "(no thread dump: " + e + ")";
    }
  }
}
