package dev.crossalign.cli;

import dev.crossalign.engine.ModelSummary;
import dev.crossalign.onnx.OnnxChecker;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.Npz;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.NativeSafety;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The fuzz suite's cases for the paths that came after its first release run: MediaPipe's Convolution2DTransposeBias
 * through TFLite's XNNPACK delegate (the reference's one-op interpreters and {@code bench --backends tflite-xnnpack}),
 * {@code convert --to pytorch} and {@code convert --to onnx} on those mutants (nothing may be written on a failure),
 * {@code compare} of a real third-party ONNX (tf2onnx's BlazeFace) mutated as {@link FuzzMutants#onnx} mutates, and
 * .npz inputs, and the values of the small integer constants ops read as shapes ({@link FuzzValueMutants}). Counted in
 * the suite's tallies as formats "deconv", "onnx3p", "npz" and "values".
 */
final class FuzzExtraPaths {
  /** Bases of the custom-op mutants. */
  static final String[] DECONV_BASES = {"selfie_segmentation.tflite", "selfie_segmentation_landscape.tflite"};
  /** Bases of the value mutants: their integer constants feed PAD, STRIDED_SLICE, MEAN, RESIZE_BILINEAR, RESHAPE. */
  static final String[] VALUE_BASES = {"hand_recrop.tflite", "selfie_segmentation_landscape.tflite",
    "face_detection_full_range_sparse.tflite"};

  private final List<FuzzCustomOpMutants.Base> deconv;
  private final List<FuzzValueMutants.Base> values;
  private final byte[] thirdParty;
  private final List<FuzzMutants.Varint> thirdPartyVarints;
  private final String inputName;
  private final byte[] npy;

  private FuzzExtraPaths(List<FuzzCustomOpMutants.Base> deconv, List<FuzzValueMutants.Base> values, byte[] thirdParty,
      String inputName, byte[] npy) {
    this.deconv = deconv;
    this.values = values;
    this.thirdParty = thirdParty;
    this.thirdPartyVarints = FuzzMutants.varints(thirdParty);
    this.inputName = inputName;
    this.npy = npy;
  }

  /** The bases; inputName and npy: the reference model's input and a valid .npy for it (the .npz members). */
  static FuzzExtraPaths load(long seed, String inputName, byte[] npy) throws IOException {
    List<FuzzCustomOpMutants.Base> bases = new ArrayList<>();
    for (String name : DECONV_BASES) {
      bases.add(FuzzCustomOpMutants.Base.of(Files.readAllBytes(TestModels.require(name))));
    }
    List<FuzzValueMutants.Base> values = new ArrayList<>();
    for (String name : VALUE_BASES) {
      values.add(FuzzValueMutants.Base.of(Files.readAllBytes(TestModels.require(name))));
    }
    return new FuzzExtraPaths(bases, values, Files.readAllBytes(TestModels.require(TestModels.SHORT_RANGE_TF2ONNX)),
        inputName, npy);
  }

  /** n mutants of each kind through the readers and pure-Java checks, in this JVM. */
  void inProcess(FuzzSuiteTest.Tally t, int n, long seed, Path work) throws IOException {
    for (int i = 0; i < n; i++) {
      tfliteCase(t, FuzzCustomOpMutants.mutate(deconv.get(i % deconv.size()), seed, i), "deconv-case" + i + ".tflite");
    }
    for (int i = 0; i < n; i++) {
      tfliteCase(t, FuzzValueMutants.mutate(values.get(i % values.size()), seed, i), "values-case" + i + ".tflite");
    }
    for (int i = 0; i < n; i++) {
      FuzzMutants.Mutant m = thirdPartyOnnx(seed, i);
      Path f = Files.write(work.resolve("onnx3p-case" + i + ".onnx"), m.bytes());
      FuzzSuiteTest.inProcessCase(t, m.kind(), f.getFileName().toString(), m.bytes(),
          () -> OnnxChecker.check(OnnxModel.read(f)));
      Files.delete(f);
    }
    for (int i = 0; i < n; i++) {
      FuzzMutants.Mutant m = FuzzNpzMutants.mutate(inputName, npy, seed, i);
      Path f = Files.write(work.resolve("npz-case" + i + ".npz"), m.bytes());
      FuzzSuiteTest.inProcessCase(t, m.kind(), f.getFileName().toString(), m.bytes(), () -> Npz.read(f));
      Files.delete(f);
    }
  }

  private static void tfliteCase(FuzzSuiteTest.Tally t, FuzzMutants.Mutant m, String label) {
    FuzzSuiteTest.inProcessCase(t, m.kind(), label, m.bytes(), () -> {
      TfliteModel model = TfliteModel.read(m.bytes(), label);
      NativeSafety.check(model);
      ModelSummary.of(model, label);
    });
  }

  /** Where a child case goes: its id, mutation kind, mutated file, CLI arguments and the output it may write. */
  interface Sink {
    void add(String id, String kind, Path file, List<String> args, Path output);
  }

  /** k CLI cases of each kind, for the child JVMs. */
  void childCases(int k, long seed, Path cw, Path refModel, Sink sink) throws IOException {
    for (int i = 0; i < k; i++) {
      tfliteChildCase(sink, "d" + i, i, FuzzCustomOpMutants.mutate(deconv.get(i % deconv.size()), seed, i), cw);
    }
    for (int i = 0; i < k; i++) {
      tfliteChildCase(sink, "v" + i, i, FuzzValueMutants.mutate(values.get(i % values.size()), seed, i), cw);
    }
    String shortRange = TestModels.require(TestModels.SHORT_RANGE).toString();
    for (int i = 0; i < k; i++) {
      FuzzMutants.Mutant m = thirdPartyOnnx(seed, i);
      Path f = Files.write(cw.resolve("p" + i + ".onnx"), m.bytes());
      sink.add("p" + i, m.kind(), f, List.of("compare", shortRange, f.toString(), "-q"), null);
    }
    for (int i = 0; i < k; i++) {
      FuzzMutants.Mutant m = FuzzNpzMutants.mutate(inputName, npy, seed, i);
      Path f = Files.write(cw.resolve("z" + i + ".npz"), m.bytes());
      sink.add("z" + i, m.kind(), f, List.of("validate", refModel.toString(), "--input", f.toString(), "-q", "--mode",
          "chained"), null);
    }
  }

  /** A .tflite mutant through validate (two ways), bench on tflite-xnnpack, or convert to PyTorch or ONNX. */
  private static void tfliteChildCase(Sink sink, String id, int i, FuzzMutants.Mutant m, Path cw) throws IOException {
    Path f = Files.write(cw.resolve(id + ".tflite"), m.bytes());
    String file = f.toString();
    Path out = cw.resolve(id + (i % 5 == 3 ? "-pytorch" : ".onnx"));
    switch (i % 5) {
      case 0 -> sink.add(id, m.kind(), f, List.of("validate", file, "-q"), null);
      case 1 -> sink.add(id, m.kind(), f, List.of("validate", file, "-q", "--mode", "isolated", "--backends",
          "tflite,onnxruntime"), null);
      case 2 -> sink.add(id, m.kind(), f, List.of("bench", file, "--backends", "tflite-xnnpack", "--warmup", "0",
          "--runs", "1"), null);
      case 3 -> sink.add(id, m.kind(), f, List.of("convert", file, "--to", "pytorch", "-o", out.toString()), out);
      default -> sink.add(id, m.kind(), f, List.of("convert", file, "-o", out.toString()), out);
    }
  }

  private FuzzMutants.Mutant thirdPartyOnnx(long seed, int i) {
    FuzzMutants.Mutant m = FuzzMutants.onnx(thirdParty, thirdPartyVarints, seed, i);
    return new FuzzMutants.Mutant("onnx3p" + m.kind().substring(m.kind().indexOf('.')), m.bytes());
  }

  /**
   * A convert case's output: complete after exit 0 (model.py, weights.pth and model.pt in the folder, or the .onnx
   * file), absent after any other status (a folder left empty counts as absent).
   */
  static boolean checkOutput(FuzzSuiteTest.Tally t, String what, int status, Path output) throws IOException {
    boolean folder = !output.toString().endsWith(".onnx");
    List<String> present = new ArrayList<>();
    if (Files.isDirectory(output)) {
      try (Stream<Path> s = Files.list(output)) {
        s.forEach(p -> present.add(p.getFileName().toString()));
      }
    } else if (Files.exists(output)) {
      present.add(output.getFileName().toString());
    }
    if (status != 0 && !present.isEmpty()) {
      t.fail(what + ": exit " + status + " but wrote " + present);
      return false;
    }
    List<String> want = folder ? List.of("model.py", "weights.pth", "model.pt") : List.of(output.getFileName().toString());
    if (status == 0 && !present.containsAll(want)) {
      t.fail(what + ": exit 0 but wrote " + present + ", expected " + want);
      return false;
    }
    return true;
  }
}
