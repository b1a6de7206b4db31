package dev.crossalign.engine.gpu;

import dev.crossalign.backend.BackendKind;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crossalign.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Merges what the legs wrote into one folder: {@code check.json} (the machine, each step's exit status and one-line
 * note, and the cpu, cudnn and torch legs' JSON as they are) and {@code summary.md} (the same for a reader, with the
 * rows of the README's GPU table). A leg that did not run is a line that says why, never a missing section.
 */
public final class Summary {
  private Summary() {}

  public static final String SCHEMA = "crossalign-gpu-check/1";

  /** Writes check.json and summary.md into {@code dir}; returns the summary's lines for the console. */
  public static List<String> write(Path dir) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("schema", SCHEMA);
    root.put("generated_utc", Instant.now().toString());
    ObjectNode gpu = gpu(dir);
    root.set("gpu", gpu);
    ArrayNode steps = steps(dir);
    root.set("steps", steps);
    JsonNode cpu = Json.tree(dir.resolve("cpu.json"));
    JsonNode cudnn = Json.tree(dir.resolve("cudnn.json"));
    JsonNode torch = Json.tree(dir.resolve("torch.json"));
    root.set("cpu", cpu);
    root.set(BackendKind.CUDNN.id(), cudnn);
    root.set("torch", torch);
    Json.write(dir.resolve("check.json"), root);

    List<String> md = new ArrayList<>();
    md.add("# crossalign GPU check, " + root.get("generated_utc").asText());
    md.add("");
    md.add("GPU: " + text(gpu, "name") + ", driver " + text(gpu, "driver") + " (CUDA " + text(gpu, "cuda_driver")
        + "), " + text(gpu, "memory") + ", compute capability " + text(gpu, "compute_cap"));
    if (cudnn != null && cudnn.hasNonNull("device")) {
      JsonNode d = cudnn.get("device");
      md.add("cuDNN direct: cuDNN " + d.path("cudnnVersion").asText() + ", CUDA runtime "
          + d.path("cudaRuntime").asText() + ", bindings " + text(cudnn, "bindings"));
    }
    if (torch != null) {
      md.add("Python " + text(torch, "python") + ", torch " + text(torch, "torch") + " (CUDA " + text(torch, "torch_cuda")
          + ", cuDNN " + text(torch, "cudnn") + "), device " + text(torch, "device") + ", path " + text(torch, "path"));
    }
    md.add("");
    md.add("## Steps");
    md.add("");
    md.add("| step | exit | seconds | note |");
    md.add("| --- | ---: | ---: | --- |");
    for (JsonNode s : steps) {
      md.add("| " + text(s, "step") + " | " + text(s, "exit") + " | " + text(s, "seconds") + " | "
          + text(s, "note").replace("|", "\\|") + " |");
    }
    md.add("");
    md.add("## README rows");
    md.add("");
    md.add("| date | GPU | model | cuDNN rel_l2 FMA / TF32 (heuristic pick) | cuDNN deterministic algorithms | conv ms:"
        + " fastest / heuristic / deterministic (FMA), fastest TF32 | torch worst rel_l2 deterministic / tf32-default |"
        + " torch ms deterministic / fast | torch bitwise: runs / profiles |");
    md.add("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (String model : models(cpu, cudnn, torch)) {
      md.add(row(root.get("generated_utc").asText().substring(0, 10), text(gpu, "name"), model, cudnn, torch));
    }
    md.add("");
    md.add("## Legs");
    md.add("");
    md.addAll(legLines("cpu", cpu));
    md.addAll(legLines(BackendKind.CUDNN.id(), cudnn));
    md.addAll(legLines("torch", torch));
    AtomicFiles.write(dir.resolve("summary.md"), (String.join("\n", md) + "\n").getBytes(StandardCharsets.UTF_8));
    return md;
  }

  private static List<String> legLines(String leg, JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n == null) {
      out.add("- " + leg + ": no " + leg + ".json (see the steps above for why)");
      return out;
    }
    String status = text(n, "status");
    if (!"-".equals(status) && !"ran".equals(status)) {
      out.add("- " + leg + ": " + status + ": " + text(n, "reason"));
    }
    if ("cpu".equals(leg)) {
      for (JsonNode m : n.path("models")) {
        out.add(String.format(Locale.ROOT, "- cpu: %s: %d/%d tensors bitwise equal to the bundled reference, worst "
            + "rel_l2 %s, convs vs float64 worst rel_l2 %s, %s", text(m, "model"), m.path("bitwiseEqual").asInt(),
            m.path("tensors").asInt(), num(m.path("worstRelL2")), num(m.path("worstConvVsFloat64RelL2")),
            m.path("pass").asBoolean() ? "ok" : "FAILED"));
      }
    }
    if (BackendKind.CUDNN.id().equals(leg)) {
      for (JsonNode m : n.path("models")) {
        out.add(String.format(Locale.ROOT, "- cudnn: %s: %d convs (%d failed), %d algorithm runs, %d not bitwise "
            + "repeatable %s; deterministic algorithms %s, non-deterministic %s", text(m, "model"),
            m.path("layers").asInt(), m.path("layerErrors").asInt(), m.path("algorithmRuns").asInt(),
            m.path("notRepeatable").asInt(), m.path("notRepeatableRuns"), m.path("deterministicAlgorithms"),
            m.path("nonDeterministicAlgorithms")));
        out.add(String.format(Locale.ROOT, "- cudnn: %s: asymmetric-SAME convs, fastest kernel sum: TF padding %s ms,"
            + " symmetric k//2 %s ms, host pre-pad %s ms", text(m, "model"), num(m.path("asymmetricTfMsSum")),
            num(m.path("asymmetricSymmetricMsSum")), num(m.path("asymmetricHostPrePadMsSum"))));
      }
    }
    return out;
  }

  private static String row(String date, String gpuName, String model, JsonNode cudnn, JsonNode torch) {
    String relL2 = "-";
    String det = "-";
    String ms = "-";
    JsonNode m = find(cudnn == null ? null : cudnn.get("models"), "model", model);
    if (m != null) {
      relL2 = num(m.path("fmaHeuristicWorstRelL2")) + " / " + num(m.path("tf32HeuristicWorstRelL2"));
      det = String.join(", ", strings(m.path("deterministicAlgorithms")));
      ms = num(m.path("fmaFastestMsSum")) + " / " + num(m.path("fmaHeuristicMsSum")) + " / "
          + num(m.path("fmaDeterministicMsSum")) + ", " + num(m.path("tf32FastestMsSum"));
    }
    String tErr = "-";
    String tMs = "-";
    String tBits = "-";
    if (torch != null && torch.has("profiles")) {
      JsonNode dp = profileModel(torch, "deterministic", model);
      JsonNode tp = profileModel(torch, "tf32-default", model);
      JsonNode fp = profileModel(torch, "fast", model);
      tErr = (dp == null ? "-" : num(dp.path("worst_rel_l2"))) + " / " + (tp == null ? "-" : num(tp.path("worst_rel_l2")));
      tMs = (dp == null ? "-" : num(dp.path("median_ms"))) + " / " + (fp == null ? "-" : num(fp.path("median_ms")));
      boolean allRuns = true;
      for (JsonNode p : torch.path("profiles")) {
        JsonNode pm = find(p.get("models"), "model", model);
        if (pm != null && !pm.path("bitwise_repeatable").asBoolean(false)) {
          allRuns = false;
        }
      }
      int equal = 0;
      int pairs = 0;
      for (JsonNode x : torch.path("cross_profile")) {
        if (model.equals(x.path("model").asText())) {
          pairs++;
          equal += x.path("bitwise_equal").asBoolean(false) ? 1 : 0;
        }
      }
      tBits = (allRuns ? "yes" : "NO") + " / " + equal + " of " + pairs + " pairs equal";
    }
    return "| " + date + " | " + gpuName + " | " + model + " | " + relL2 + " | " + det + " | " + ms + " | " + tErr
        + " | " + tMs + " | " + tBits + " |";
  }

  private static JsonNode profileModel(JsonNode torch, String profile, String model) {
    JsonNode p = find(torch.get("profiles"), "profile", profile);
    return p == null ? null : find(p.get("models"), "model", model);
  }

  private static List<String> models(JsonNode... legs) {
    List<String> out = new ArrayList<>();
    for (JsonNode leg : legs) {
      if (leg == null) {
        continue;
      }
      JsonNode ms = leg.get("models");
      if (ms == null) {
        for (JsonNode p : leg.path("profiles")) {
          for (JsonNode m : p.path("models")) {
            add(out, m.path("model").asText(null));
          }
        }
        continue;
      }
      for (JsonNode m : ms) {
        add(out, m.path("model").asText(null));
      }
    }
    return out;
  }

  private static void add(List<String> out, String s) {
    if (s != null && !out.contains(s)) {
      out.add(s);
    }
  }

  private static JsonNode find(JsonNode array, String key, String value) {
    if (array == null) {
      return null;
    }
    for (JsonNode n : array) {
      if (value.equals(n.path(key).asText())) {
        return n;
      }
    }
    return null;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      out.add(n.asText());
    }
    return out;
  }

  private static String text(JsonNode n, String key) {
    if (n == null || !n.hasNonNull(key)) {
      return "-";
    }
    return n.get(key).asText();
  }

  private static String num(JsonNode n) {
    if (n == null || n.isMissingNode() || n.isNull()) {
      return "-";
    }
    if (n.isNumber()) {
      return String.format(Locale.ROOT, "%.3g", n.asDouble());
    }
    return n.asText();
  }

  /** nvidia-smi's CSV line and header as the runner saved them. */
  private static ObjectNode gpu(Path dir) {
    ObjectNode g = Json.MAPPER.createObjectNode();
    String csv = read(dir.resolve("nvidia-smi.csv"));
    if (csv != null && !csv.isBlank()) {
      String[] f = csv.strip().split("\n")[0].split(",");
      String[] keys = {"name", "driver", "memory", "compute_cap"};
      for (int i = 0; i < Math.min(f.length, keys.length); i++) {
        g.put(keys[i], f[i].strip());
      }
    }
    String header = read(dir.resolve("nvidia-smi.txt"));
    if (header != null) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("CUDA Version: *([0-9.]+)").matcher(header);
      if (m.find()) {
        g.put("cuda_driver", m.group(1));
      }
    }
    return g;
  }

  /** steps.tsv: step, exit status, seconds, one-line note (tab separated), one line per step. */
  private static ArrayNode steps(Path dir) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    String tsv = read(dir.resolve("steps.tsv"));
    if (tsv == null) {
      return a;
    }
    for (String line : tsv.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t", 4);
      ObjectNode s = a.addObject();
      s.put("step", f[0]);
      s.put("exit", f.length > 1 ? f[1] : "");
      s.put("seconds", f.length > 2 ? f[2] : "");
      s.put("note", f.length > 3 ? f[3] : "");
    }
    return a;
  }

  private static String read(Path p) {
    try {
      return Files.isRegularFile(p) ? Files.readString(p, StandardCharsets.UTF_8) : null;
    } catch (IOException e) {
      return null;
    }
  }
}
