package dev.crossalign.testutil;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Python with PyTorch, ONNX and NumPy (apt: python3-torch python3-onnx python3-numpy) as an independent
 * oracle for the generated PyTorch code. Missing: the calling test is skipped with an assumption naming why, except
 * under {@code CI=true}, where it fails. The interpreter is {@code /usr/bin/python3} unless {@code
 * -Dcrossalign.python} names another.
 */
public final class PythonTorch {
  private static volatile String missing;
  private static volatile boolean probed;

  private PythonTorch() {}

  public static Path python() {
    return Paths.get(System.getProperty("crossalign.python", "/usr/bin/python3"));
  }

  /** Skips (or under CI fails) the calling test when the interpreter or torch/onnx/numpy is missing. */
  public static Path require() {
    if (!probed) {
      missing = probe();
      probed = true;
    }
    if (missing != null) {
      String why = missing + " (apt-get install python3-torch python3-onnx python3-numpy)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(why + "; CI=true requires it");
      }
      assumeTrue(false, why);
    }
    return python();
  }

  /** Why Debian's Python PyTorch cannot be used here, or null when it can (probed once). */
  public static String missing() {
    if (!probed) {
      missing = probe();
      probed = true;
    }
    return missing;
  }

  private static String probe() {
    if (!Files.isExecutable(python())) {
      return python() + " not found";
    }
    Result r = run(List.of(python().toString(), "-c", "import torch, onnx, numpy; print(torch.__version__)"), 120);
    return r.status() == 0 ? null : python() + " cannot import torch, onnx and numpy: " + r.lastLine();
  }

  /** Exit status and combined output of a finished process. */
  public record Result(int status, String output) {
    public String lastLine() {
      String[] lines = output.strip().split("\n");
      return lines.length == 0 ? "" : lines[lines.length - 1];
    }
  }

  /** Runs a helper script from src/test/resources/pytorch with the given arguments. */
  public static Result script(String name, long timeoutSeconds, String... args) {
    Path script;
    try {
      script = Paths.get(PythonTorch.class.getResource("/pytorch/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    List<String> cmd = new ArrayList<>(List.of(python().toString(), script.toString()));
    cmd.addAll(List.of(args));
    return run(cmd, timeoutSeconds);
  }

  private static Result run(List<String> cmd, long timeoutSeconds) {
    try {
      Path log = Files.createTempFile("crossalign-python-", ".log");
      try {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return new Result(124, "timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      return new Result(127, "cannot run " + cmd.get(0) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(130, "interrupted");
    }
  }
}
