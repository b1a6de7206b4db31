package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.CrossalignException;
import dev.crossalign.engine.ModelSummary;
import dev.crossalign.onnx.OnnxChecker;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.Npy;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteFields;
import dev.crossalign.tflite.NativeSafety;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzzing suite: field-aware mutants of real .tflite files, of an ONNX file exported from one, and of .npy
 * inputs. Reader-level parsing (which never reaches native code) runs in this JVM; the whole CLI, native backends
 * included, runs in child JVMs that take many cases each ({@link FuzzPool}), so that a native crash is counted, not
 * fatal. Asserts zero crashes, zero hangs, zero "internal error"s, and that every refusal is exactly one line that
 * names the mutated file.
 *
 * <p>Sizes: {@code -Dcrossalign.fuzz.cases=N} mutants of each first format (tflite, onnx, npy) in this JVM and N/10 of
 * each in child JVMs, N/4 and N/40 of each later one ({@link FuzzExtraPaths}: deconv, onnx3p, npz, values); default
 * 1000: 4,000 + 350 cases, about a minute on 2 cores at load ~4-6. The release run is N=10000
 * ({@code mvn -o test -Dtest=FuzzSuiteTest -Dcrossalign.fuzz.cases=10000}); its figures are in the README.
 * Seeds are fixed ({@code -Dcrossalign.fuzz.seed}, default 15).
 */
class FuzzSuiteTest {
  private static final int CASES = Integer.getInteger("crossalign.fuzz.cases", 1000);
  private static final long SEED = Long.getLong("crossalign.fuzz.seed", 15);
  private static final String[] TFLITE_BASES = {
    "hand_recrop.tflite", "selfie_segmentation.tflite", "face_detection_short_range.tflite"
  };

  @TempDir Path dir;

  /** Everything counted, and the first examples of each failure. */
  static final class Tally {
    final Map<String, Integer> byKind = new TreeMap<>();
    final Map<String, Integer> byOutcome = new TreeMap<>();
    final Map<String, Map<String, Integer>> byFormat = new TreeMap<>();
    final List<String> failures = new ArrayList<>();
    int crashes;
    int hangs;
    int internal;

    void count(String kind, String outcome) {
      byKind.merge(kind, 1, Integer::sum);
      byOutcome.merge(outcome, 1, Integer::sum);
      byFormat.computeIfAbsent(kind.substring(0, kind.indexOf('.')), k -> new TreeMap<>()).merge(outcome, 1, Integer::sum);
    }

    void fail(String what) {
      if (failures.size() < 40) {
        failures.add(what);
      }
    }

    /** Keeps a failing case's file for whoever fixes it (target/fuzz-failures). */
    void keep(String name, byte[] bytes) {
      try {
        Path d = Files.createDirectories(Path.of("target", "fuzz-failures"));
        Files.write(d.resolve(name), bytes);
      } catch (java.io.IOException e) {
        // only a convenience
      }
    }
  }

  @Test
  void mutatedFilesNeverCrashHangOrLeakAnInternalError() throws Exception {
    Tally[] t = fuzz(CASES, SEED, dir, Integer.getInteger("crossalign.fuzz.children", 2));
    assertThat(t[0].failures).as("in-process failures").isEmpty();
    assertThat(t[1].failures).as("child-JVM failures").isEmpty();
    assertThat(t[1].crashes + t[1].hangs + t[1].internal + t[0].internal).isZero();
  }

  /**
   * The same run outside JUnit, for the release run on a snapshot of the classes:
   * {@code java -cp CLASSPATH dev.crossalign.cli.FuzzSuiteTest CASES [CHILDREN]}; exit 1 on any failure.
   */
  public static void main(String[] args) throws Exception {
    int cases = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int children = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    Path d = Files.createTempDirectory("crossalign-fuzz");
    Tally[] t = fuzz(cases, SEED, d, children);
    boolean ok = t[0].failures.isEmpty() && t[1].failures.isEmpty();
    System.exit(ok ? 0 : 1);
  }

  /** Runs both phases; returns {in-process, child} tallies after printing them. */
  static Tally[] fuzz(int n, long seed, Path dir, int children) throws Exception {
    long t0 = System.nanoTime();
    Tally inProcess = new Tally();
    Tally child = new Tally();
    List<byte[]> bases = new ArrayList<>();
    List<TfliteFields> baseFields = new ArrayList<>();
    for (String name : TFLITE_BASES) {
      byte[] b = Files.readAllBytes(TestModels.require(name));
      bases.add(b);
      baseFields.add(TfliteFields.of(b));
    }
    Path refModel = Files.write(dir.resolve("ref.tflite"), bases.get(0));
    Path onnx = dir.resolve("ref.onnx");
    CliTestSupport.Run conv = CliTestSupport.run("convert", refModel.toString(), "-o", onnx.toString());
    assertThat(conv.status()).as(conv.err()).isZero();
    byte[] onnxBytes = Files.readAllBytes(onnx);
    List<FuzzMutants.Varint> varints = FuzzMutants.varints(onnxBytes);
    TensorInfo in = TfliteModel.read(refModel).main().tensor(TfliteModel.read(refModel).main().inputs()[0]);
    byte[] npyBytes = FuzzMutants.npy("<f4", in.shape(), new SplittableRandom(seed), 4);

    // --- in this JVM: readers and pure-Java checks ---
    Path work = Files.createDirectories(dir.resolve("inproc"));
    long tStart = System.nanoTime();
    for (int i = 0; i < n; i++) {
      int base = i % bases.size();
      FuzzMutants.Mutant m = FuzzMutants.tflite(bases.get(base), baseFields.get(base), seed, i);
      String label = "tflite-case" + i + ".tflite";
      inProcessCase(inProcess, m.kind(), label, m.bytes(), () -> {
        TfliteModel model = TfliteModel.read(m.bytes(), label);
        NativeSafety.check(model);
        ModelSummary.of(model, label);
      });
    }
    long tTflite = System.nanoTime();
    for (int i = 0; i < n; i++) {
      FuzzMutants.Mutant m = FuzzMutants.onnx(onnxBytes, varints, seed, i);
      Path f = Files.write(work.resolve("onnx-case" + i + ".onnx"), m.bytes());
      inProcessCase(inProcess, m.kind(), f.getFileName().toString(), m.bytes(), () -> OnnxChecker.check(OnnxModel.read(f)));
      Files.delete(f);
    }
    long tOnnx = System.nanoTime();
    for (int i = 0; i < n; i++) {
      FuzzMutants.Mutant m = FuzzMutants.npy(npyBytes, seed, i);
      Path f = Files.write(work.resolve("npy-case" + i + ".npy"), m.bytes());
      inProcessCase(inProcess, m.kind(), f.getFileName().toString(), m.bytes(), () -> Npy.read(f));
      Files.delete(f);
    }
    long tNpy = System.nanoTime();
    FuzzExtraPaths extra = FuzzExtraPaths.load(seed, in.name(), npyBytes);
    extra.inProcess(inProcess, n / 4, seed, work);
    long t1 = System.nanoTime();
    System.out.printf(Locale.ROOT, "fuzz setup %.1f s; in-process tflite %.1f s, onnx %.1f s, npy %.1f s, deconv +"
        + " third-party onnx + npz %.1f s%n", (tStart - t0) / 1e9, (tTflite - tStart) / 1e9, (tOnnx - tTflite) / 1e9,
        (tNpy - tOnnx) / 1e9, (t1 - tNpy) / 1e9);

    // --- in child JVMs: the whole CLI, native backends included ---
    int childCases = Math.max(11, n / 10);
    Path cw = Files.createDirectories(dir.resolve("child"));
    List<FuzzPool.Case> cases = new ArrayList<>();
    Map<String, String> kindOf = new TreeMap<>();
    Map<String, String> fileOf = new TreeMap<>();
    for (int i = 0; i < childCases; i++) {
      // other seeds than in-process: new mutants, not the same ones again
      int base = i % bases.size();
      FuzzMutants.Mutant m = FuzzMutants.tflite(bases.get(base), baseFields.get(base), seed + 1, i);
      Path f = Files.write(cw.resolve("t" + i + ".tflite"), m.bytes());
      List<String> args = switch (i % 3) {
        case 0 -> List.of("validate", f.toString(), "-q", "--mode", "chained", "--backends", "tflite,onnxruntime");
        case 1 -> List.of("validate", f.toString(), "-q", "--mode", "isolated");
        default -> List.of("validate", f.toString(), "-q", "--mode", "chained");
      };
      add(cases, kindOf, fileOf, "t" + i, m.kind(), f, args);
    }
    for (int i = 0; i < childCases; i++) {
      FuzzMutants.Mutant m = FuzzMutants.onnx(onnxBytes, varints, seed + 1, i);
      Path f = Files.write(cw.resolve("o" + i + ".onnx"), m.bytes());
      add(cases, kindOf, fileOf, "o" + i, m.kind(), f, List.of("compare", refModel.toString(), f.toString(), "-q"));
    }
    for (int i = 0; i < childCases / 2; i++) {
      FuzzMutants.Mutant m = FuzzMutants.npy(npyBytes, seed + 1, i);
      Path f = Files.write(cw.resolve("n" + i + ".npy"), m.bytes());
      add(cases, kindOf, fileOf, "n" + i, m.kind(), f,
          List.of("validate", refModel.toString(), "--input", f.toString(), "-q", "--mode", "chained"));
    }
    Map<String, Path> outputOf = new TreeMap<>();
    extra.childCases(Math.max(5, childCases / 4), seed + 1, cw, refModel, (id, kind, f, args, output) -> {
      add(cases, kindOf, fileOf, id, kind, f, args);
      if (output != null) {
        outputOf.put(id, output);
      }
    });
    List<FuzzPool.Result> results =
        new FuzzPool(cw, Long.getLong("crossalign.fuzz.caseTimeoutMs", 120_000), children).run(cases);
    assertThat(results).hasSize(cases.size());
    for (FuzzPool.Result r : results) {
      String id = r.c().id();
      String kind = kindOf.get(id);
      switch (r.outcome()) {
        case CRASHED -> {
          child.keep(Path.of(fileOf.get(id)).getFileName().toString(), Files.readAllBytes(Path.of(fileOf.get(id))));
          child.crashes++;
          child.count(kind, "crashed");
          child.fail(id + " " + kind + " " + r.c().args() + ": child JVM died, exit " + r.childExit() + ": "
              + firstLines(r.err()));
        }
        case HUNG -> {
          child.keep(Path.of(fileOf.get(id)).getFileName().toString(), Files.readAllBytes(Path.of(fileOf.get(id))));
          child.hangs++;
          child.count(kind, "hung");
          child.fail(id + " " + kind + " " + r.c().args() + ": no answer in time");
        }
        case RAN -> {
          child.count(kind, "exit " + r.status());
          Path f = Path.of(fileOf.get(id));
          boolean ok = checkRefusal(child, id + " " + kind + " " + r.c().args(), r.status(), r.err(),
              f.getFileName().toString());
          ok &= !outputOf.containsKey(id) || FuzzExtraPaths.checkOutput(child, id + " " + kind + " " + r.c().args(), r.status(),
              outputOf.get(id));
          if (!ok) {
            child.keep(f.getFileName().toString(), Files.readAllBytes(f));
          }
        }
      }
    }
    long t2 = System.nanoTime();
    System.out.println(report("in-process (reader, per-op checks, inspect summary, ONNX checker, npy reader)",
        inProcess, t1 - t0));
    System.out.println(report("child JVMs (whole CLI: validate, compare, --input, bench, convert)", child, t2 - t1));
    return new Tally[] {inProcess, child};
  }

  private static void add(List<FuzzPool.Case> cases, Map<String, String> kindOf, Map<String, String> fileOf,
      String id, String kind, Path f, List<String> args) {
    cases.add(new FuzzPool.Case(id, args));
    kindOf.put(id, kind);
    fileOf.put(id, f.toString());
  }

  /** A run ended with a documented status; a refusal is one line naming the file, never an internal error. */
  private static boolean checkRefusal(Tally t, String what, int status, String err, String fileName) {
    if (status < 0 || status > 3) {
      t.fail(what + ": exit " + status + ": " + firstLines(err));
      return false;
    }
    if (err.contains("internal error")) {
      t.internal++;
      t.fail(what + ": " + firstLines(err));
      return false;
    }
    if (status == 3 && err.isBlank()) {
      return true; // an INCOMPLETE verdict on stdout (a custom op ran as a placeholder), not a refusal
    }
    if (status >= 2) {
      List<String> lines = err.strip().lines().toList();
      if (lines.size() != 1) {
        t.fail(what + ": refusal of " + lines.size() + " lines: " + firstLines(err));
        return false;
      } else if (!lines.get(0).contains(fileName)) {
        t.fail(what + ": refusal does not name " + fileName + ": " + lines.get(0));
        return false;
      }
    }
    return true;
  }

  interface Body {
    void run() throws Exception;
  }

  static void inProcessCase(Tally t, String kind, String label, byte[] bytes, Body body) {
    try {
      body.run();
      t.count(kind, "read");
    } catch (CrossalignException e) {
      t.count(kind, "refused (exit " + e.kind().exitStatus() + ")");
      String msg = String.valueOf(e.getMessage());
      if (msg.contains("\n") || !msg.contains(label)) {
        t.keep(label, bytes);
      }
      if (msg.contains("\n")) {
        t.fail(label + " " + kind + ": message of several lines: " + firstLines(msg));
      } else if (!msg.contains(label)) {
        t.fail(label + " " + kind + ": message does not name the file: " + msg);
      }
    } catch (Exception | StackOverflowError | OutOfMemoryError e) {
      t.keep(label, bytes);
      t.internal++;
      t.count(kind, "escaped " + e.getClass().getSimpleName());
      StackTraceElement[] st = e.getStackTrace();
      t.fail(label + " " + kind + ": " + e + (st.length > 0 ? " at " + st[0] : ""));
    }
  }

  private static String firstLines(String s) {
    String x = s.strip();
    return x.length() > 600 ? x.substring(0, 600) + "..." : x;
  }

  private static String report(String title, Tally t, long nanos) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "fuzz %s: %d cases in %.1f s, %d crashes, %d hangs, %d internal errors%n",
        title, t.byKind.values().stream().mapToInt(Integer::intValue).sum(), nanos / 1e9, t.crashes, t.hangs,
        t.internal));
    b.append("  by kind: ").append(t.byKind).append('\n');
    b.append("  by outcome: ").append(t.byOutcome).append('\n');
    t.byFormat.forEach((f, m) -> b.append("  ").append(f).append(": ").append(m).append('\n'));
    t.failures.forEach(f -> b.append("  FAIL ").append(f).append('\n'));
    return b.toString();
  }
}
