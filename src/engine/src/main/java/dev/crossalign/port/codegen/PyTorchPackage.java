package dev.crossalign.port.codegen;

import dev.crossalign.CrossalignException;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.tensor.AtomicFiles;
import dev.crossalign.tflite.TfliteModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What {@code convert --to pytorch} writes into a directory: model.py (the generated nn.Module), weights.pth (its
 * state_dict), model.pt (the same module compiled by libtorch's TorchScript compiler) and USAGE.md. Everything is
 * generated and compiled in memory first; a refused op writes nothing.
 */
public final class PyTorchPackage {
  /** What was written. */
  public record Written(Path dir, GeneratedModel model, long weightsBytes, long archiveBytes) {}

  private PyTorchPackage() {}

  /**
   * Generates the module for {@code model}, or throws UNSUPPORTED (exit 3) naming every op that cannot be written.
   */
  public static GeneratedModel generate(TfliteModel model, OpRegistry registry, String className,
      PyGenerator.Boundary boundary) {
    GeneratedModel g = PyGenerator.generate(model, registry, className, boundary);
    if (!g.complete()) {
      throw CrossalignException.unsupported("cannot write " + model.label() + " as PyTorch code: " + g.refusals()
          .stream().map(u -> u.op() + " x" + u.count() + " (" + u.reason() + ")").collect(Collectors.joining(", ")));
    }
    return g;
  }

  public static Written write(TfliteModel model, OpRegistry registry, String className,
      PyGenerator.Boundary boundary, Path dir) {
    GeneratedModel g = generate(model, registry, className, boundary);
    byte[] weights;
    byte[] archive;
    try (TorchScriptModule m = TorchScriptModule.compile(g)) {
      weights = m.stateDict();
      archive = m.archive();
    }
    AtomicFiles.write(dir.resolve("model.py"), g.source().getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(dir.resolve("weights.pth"), weights);
    AtomicFiles.write(dir.resolve("model.pt"), archive);
    AtomicFiles.write(dir.resolve("USAGE.md"), usage(model, g).getBytes(StandardCharsets.UTF_8));
    return new Written(dir, g, weights.length, archive.length);
  }

  static String usage(TfliteModel model, GeneratedModel g) {
    String c = g.className();
    StringBuilder args = new StringBuilder();
    StringBuilder shapes = new StringBuilder();
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < g.inputs().size(); i++) {
      GeneratedModel.Port p = g.inputs().get(i);
      args.append(i == 0 ? "" : ", ").append(p.pythonName());
      shapes.append(p.pythonName()).append(" = torch.rand(").append(Arrays.toString(p.shape()).replace("[", "")
          .replace("]", "")).append(")\n");
      names.append(i == 0 ? "" : ", ").append('"').append(p.pythonName()).append('"');
    }
    StringBuilder outs = new StringBuilder();
    for (int i = 0; i < g.outputs().size(); i++) {
      outs.append(i == 0 ? "" : ", ").append('"').append(g.outputs().get(i).pythonName()).append('"');
    }
    return "# " + c + ": " + Py.comment(model.label() == null ? "model" : model.label()) + " as PyTorch\n\n"
        + "Written by `crossalign convert MODEL.tflite --to pytorch`. Files:\n\n"
        + "- `model.py`: the `" + c + "` nn.Module, plain eager PyTorch that `torch.jit.script` also accepts."
        + " TensorFlow Lite's rules are spelled out in it (SAME padding as explicit `F.pad`, pools that count"
        + " real elements, the resize coordinate rule as index tables); each block names the TFLite op and tensor"
        + " it reproduces. Inputs and outputs are " + (g.boundary() == PyGenerator.Boundary.NHWC
            ? "in the TFLite signature's layout (NHWC for images)" : "NCHW for rank 4") + "; inside it is NCHW.\n"
        + "- `weights.pth`: its state_dict (`torch.load`), every weight named after its TFLite tensor,"
        + " fp16/int8/sparse storage folded to float32.\n"
        + "- `model.pt`: the same module compiled by libtorch's TorchScript compiler (`torch.jit.load`, no"
        + " crossalign code needed).\n\n"
        + "Run from this directory (or put it on `sys.path`):\n\n"
        + "```python\nimport torch\nfrom model import " + c + "\n\n"
        + "m = " + c + "()\nm.load_state_dict(torch.load(\"weights.pth\"))\nm.eval()\n"
        + shapes
        + "*outputs, captured = m(" + args + ")                 # outputs in the TFLite signature's order\n"
        + "*outputs, captured = m(" + args + ", capture=True)   # captured: every TFLite tensor by name, TFLite axes\n\n"
        + "scripted = torch.jit.script(m)             # TorchScript from the same source\n"
        + "archived = torch.jit.load(\"model.pt\")      # or the archive written by crossalign\n\n"
        + "class Export(torch.nn.Module):           # ONNX: the outputs without the capture dict\n"
        + "    def __init__(self, m):\n        super().__init__()\n        self.m = m\n\n"
        + "    def forward(self, " + args + "):\n        return self.m(" + args + ")[:-1]\n\n"
        + "torch.onnx.export(Export(m), (" + args + (g.inputs().size() == 1 ? "," : "") + "), \"model.onnx\","
        + " opset_version=13,\n                  input_names=[" + names + "], output_names=[" + outs + "])\n```\n\n"
        + "Check the result against the TFLite model: `crossalign compare MODEL.tflite model.onnx`.\n";
  }
}
