package dev.crossalign.cli;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendKind.Ids;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.DeterminismLab;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "determinism",
    mixinStandardHelpOptions = true,
    header = "Repeats runs of each backend and reports whether they are bitwise identical.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every backend bitwise identical across its runs (with --conv-algos: every algorithm repeatable)",
        "1:some runs differ (named)", Main.EXIT_USAGE, Main.EXIT_UNSUPPORTED},
    description = {
      "Runs each backend N times under a determinism profile and reports, per backend and tensor, whether the runs",
      "are bitwise identical and their spread when not; with --compare-profile, what changes between two profiles."
    })
final class DeterminismCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = ".tflite model (default: the embedded demo)")
  Path model;

  @Option(names = "--repeat", defaultValue = "5", paramLabel = "N", converter = Converters.AtLeast2.class,
      description = "Runs per backend, at least 2 (default: ${DEFAULT-VALUE})")
  int repeat;

  @Option(names = "--backends", split = ",", defaultValue = Ids.TFLITE + "," + Ids.TORCH,
      paramLabel = Ids.TFLITE + "," + Ids.TORCH + "[," + Ids.ONNXRUNTIME + "]",
      converter = Converters.DeterminismBackend.class, description = "Backends (default: ${DEFAULT-VALUE})")
  List<BackendKind> backends;

  @Mixin SharedOptions.Profile profile;

  @Option(names = "--compare-profile", paramLabel = "PROFILE", converter = Converters.ProfileConverter.class,
      description = "Also run under this profile and report what changed")
  Converters.NamedProfile compareProfile;

  @Mixin SharedOptions.DeviceOption device;
  @Mixin SharedOptions.Seed seed;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the report as JSON ('-': stdout, instead of the console report)")
  Path json;

  @Mixin SharedOptions.Verbose verbose;

  @Option(names = "--conv-algos",
      description = "Instead: run every float conv layer on cuDNN with each forward algorithm and report time, max error"
          + " vs TFLite and bitwise-equal repeats (needs the -Pgpu build and an NVIDIA GPU; --device cpu means cuda:0)")
  boolean convAlgos;

  @Override
  public Integer call() throws Exception {
    new FilePlan().input("model " + model, model).output("--json", json).check();
    Device dev = device.device;
    DeterminismConfig cfg = seed.applyTo(profile.config());
    if (convAlgos) {
      return convAlgos(dev.isCuda() ? dev : Device.parse("cuda:0"), cfg);
    }
    DeterminismLab.Report report;
    try (Progress progress = Progress.start("determinism", backends.size() * Math.max(repeat, 0), false)) {
      report = DeterminismLab.run(model, backends, repeat, dev, profile.name(), cfg, run -> {
        progress.step(1);
        progress.phase(run);
      });
    }
    List<DeterminismLab.Change> changes = null;
    if (compareProfile != null) {
      changes = DeterminismLab.compareProfiles(model, backends, dev, cfg, seed.applyTo(compareProfile.config()));
    }
    boolean jsonOnStdout = ReportTarget.isStdout(json);
    PrintWriter out = jsonOnStdout ? new PrintWriter(java.io.Writer.nullWriter()) : spec.commandLine().getOut();
    for (DeterminismLab.BackendResult b : report.backends()) {
      out.println(String.format(Locale.ROOT, "%-12s %d runs, %d tensors: %s", b.name(), b.runs(), b.tensorsCompared(),
          b.bitwiseIdentical() ? "bitwise identical" : b.differing().size() + " tensors differ"));
      for (DeterminismLab.Spread s : b.differing()) {
        out.println(String.format(Locale.ROOT, "    %s (%s): max spread %.3g in %d of %d repeats", s.tensor(), s.op(), s.maxAbsSpread(), s.runsDiffering(), b.runs() - 1));
      }
    }
    if (changes != null) {
      out.println("profile " + profile.name() + " -> " + compareProfile.name() + ": " + (changes.isEmpty() ? "no tensor changed" : changes.size() + " tensors changed"));
      for (DeterminismLab.Change c : changes) {
        out.println(String.format(Locale.ROOT, "    %s %s (%s): max_abs %.3g", c.backend(), c.tensor(), c.op(), c.maxAbs()));
      }
    }
    String placeholders = report.config().get("tflite.placeholders");
    if (placeholders != null && !placeholders.isBlank()) {
      out.println("note: the TFLite interpreter has no kernel for a custom op; a placeholder ran instead: " + placeholders);
    }
    out.println(report.allIdentical() ? "DETERMINISTIC: every backend bitwise identical across " + repeat + " runs" : "NON-DETERMINISTIC: see above");
    out.flush();
    if (json != null) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("model", report.model());
      doc.put("device", report.device());
      doc.put("profile", report.profile());
      doc.put("config", report.config());
      doc.put("backends", report.backends());
      doc.put("all_bitwise_identical", report.allIdentical());
      if (changes != null) {
        doc.put("compare_profile", compareProfile.name());
        doc.put("changes", changes);
      }
      ReportTarget.writeJson("--json", json, doc, spec.commandLine().getOut());
    }
    return report.allIdentical() ? Main.ALIGNED : Main.MISALIGNED;
  }

  private int convAlgos(Device target, DeterminismConfig cfg) throws java.io.IOException {
    dev.crossalign.backend.cudnn.Cudnn.require(); // the GPU reason first, before any model work
    dev.crossalign.tflite.TfliteModel m = model == null
        ? dev.crossalign.tflite.TfliteModel.read(dev.crossalign.engine.DemoModel.bytes(), dev.crossalign.engine.DemoModel.LABEL)
        : dev.crossalign.tflite.TfliteModel.read(model);
    var inputs = dev.crossalign.engine.InputGenerator.inputs(m, cfg.seed(), -1, 1, Map.of());
    var r = dev.crossalign.engine.gpu.ConvAlgoLab.run(m, inputs, target, cfg, repeat);
    PrintWriter out = spec.commandLine().getOut();
    if (!ReportTarget.isStdout(json)) {
      r.lines().forEach(out::println);
      out.flush();
    }
    if (json != null) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("profile", profile.name());
      doc.put("conv_algos", r);
      doc.put("all_bitwise_repeatable", r.allRepeatable());
      ReportTarget.writeJson("--json", json, doc, out);
    }
    return r.allRepeatable() ? Main.ALIGNED : Main.MISALIGNED;
  }
}
