package dev.crossalign.backend;

import dev.crossalign.CrossalignException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Determinism profiles: the files in cuda-config/ (shipped in the jar as cuda-config/NAME.properties) or a user's
 * .properties file. Unknown keys and bad values are one-line input errors, so a typo never silently changes a run.
 */
public final class Profiles {
  public static final List<String> BUILTIN = List.of("deterministic", "fast", "tf32-default");
  private static final Set<String> KEYS =
      Set.of(
          "seed",
          "cudnn_deterministic",
          "cudnn_benchmark",
          "deterministic_algorithms",
          "deterministic_warn_only",
          "allow_tf32_cudnn",
          "allow_tf32_cublas",
          "cublas_workspace_config",
          "intra_op_threads",
          "ort_cudnn_conv_algo_search",
          "ort_deterministic_compute");

  private Profiles() {}

  /** A builtin profile name or a path to a .properties file. */
  public static DeterminismConfig load(String nameOrPath) {
    Properties p = new Properties();
    String where;
    if (BUILTIN.contains(nameOrPath)) {
      where = "profile " + nameOrPath;
      try (InputStream in = Profiles.class.getResourceAsStream("/cuda-config/" + nameOrPath + ".properties")) {
        if (in == null) {
          throw new CrossalignException(CrossalignException.Kind.INTERNAL, "builtin profile " + nameOrPath + " is missing from the jar");
        }
        p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new CrossalignException(CrossalignException.Kind.INTERNAL, "cannot read builtin profile " + nameOrPath, e);
      }
    } else {
      Path file = Path.of(nameOrPath);
      where = file.toString();
      if (!Files.isRegularFile(file)) {
        throw CrossalignException.input("--profile " + nameOrPath + ": neither a builtin profile " + BUILTIN + " nor a file");
      }
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException | IllegalArgumentException e) {
        throw CrossalignException.input("--profile " + file + ": cannot read (" + e.getMessage() + ")");
      }
    }
    for (String k : p.stringPropertyNames()) {
      if (!KEYS.contains(k)) {
        throw CrossalignException.input(where + ": unknown key '" + k + "'; known keys are " + new java.util.TreeSet<>(KEYS));
      }
    }
    DeterminismConfig d = DeterminismConfig.DETERMINISTIC;
    String search = p.getProperty("ort_cudnn_conv_algo_search", d.ortConvAlgoSearch()).trim().toUpperCase(Locale.ROOT);
    if (!List.of("EXHAUSTIVE", "HEURISTIC", "DEFAULT").contains(search)) {
      throw CrossalignException.input(where + ": ort_cudnn_conv_algo_search must be EXHAUSTIVE, HEURISTIC or DEFAULT, got " + search);
    }
    return new DeterminismConfig(
        longValue(p, "seed", d.seed(), where),
        bool(p, "cudnn_deterministic", d.cudnnDeterministic(), where),
        bool(p, "cudnn_benchmark", d.cudnnBenchmark(), where),
        bool(p, "deterministic_algorithms", d.deterministicAlgorithms(), where),
        bool(p, "deterministic_warn_only", d.deterministicWarnOnly(), where),
        bool(p, "allow_tf32_cudnn", d.allowTf32Cudnn(), where),
        bool(p, "allow_tf32_cublas", d.allowTf32Cublas(), where),
        p.getProperty("cublas_workspace_config", d.cublasWorkspaceConfig()).trim(),
        (int) longValue(p, "intra_op_threads", d.intraOpThreads(), where),
        search,
        bool(p, "ort_deterministic_compute", d.ortDeterministicCompute(), where));
  }

  /** The effective config as report fields. */
  public static Map<String, String> describe(DeterminismConfig c) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("seed", Long.toString(c.seed()));
    m.put("cudnn_deterministic", Boolean.toString(c.cudnnDeterministic()));
    m.put("cudnn_benchmark", Boolean.toString(c.cudnnBenchmark()));
    m.put("deterministic_algorithms", Boolean.toString(c.deterministicAlgorithms()));
    m.put("deterministic_warn_only", Boolean.toString(c.deterministicWarnOnly()));
    m.put("allow_tf32_cudnn", Boolean.toString(c.allowTf32Cudnn()));
    m.put("allow_tf32_cublas", Boolean.toString(c.allowTf32Cublas()));
    m.put("cublas_workspace_config", c.cublasWorkspaceConfig());
    m.put("intra_op_threads", Integer.toString(c.intraOpThreads()));
    m.put("ort_cudnn_conv_algo_search", c.ortConvAlgoSearch());
    m.put("ort_deterministic_compute", Boolean.toString(c.ortDeterministicCompute()));
    return m;
  }

  /**
   * cuBLAS reads CUBLAS_WORKSPACE_CONFIG once, when the process starts: a deterministic CUDA run needs it set in the
   * environment before the JVM starts. Returns null when fine, else the message.
   */
  public static String cublasWorkspaceProblem(DeterminismConfig c, Device device) {
    if (!device.isCuda() || !c.deterministicAlgorithms() || c.cublasWorkspaceConfig().isEmpty()) {
      return null;
    }
    String env = System.getenv("CUBLAS_WORKSPACE_CONFIG");
    if (c.cublasWorkspaceConfig().equals(env)) {
      return null;
    }
    return "deterministic cuBLAS needs CUBLAS_WORKSPACE_CONFIG=" + c.cublasWorkspaceConfig()
        + " in the environment before the process starts (it is " + (env == null ? "unset" : "'" + env + "'")
        + "): export it and run again";
  }

  private static boolean bool(Properties p, String k, boolean dflt, String where) {
    String v = p.getProperty(k);
    if (v == null) {
      return dflt;
    }
    v = v.trim().toLowerCase(Locale.ROOT);
    if (v.equals("true") || v.equals("false")) {
      return Boolean.parseBoolean(v);
    }
    throw CrossalignException.input(where + ": " + k + " must be true or false, got '" + v + "'");
  }

  private static long longValue(Properties p, String k, long dflt, String where) {
    String v = p.getProperty(k);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw CrossalignException.input(where + ": " + k + " must be a whole number, got '" + v.trim() + "'");
    }
  }
}
