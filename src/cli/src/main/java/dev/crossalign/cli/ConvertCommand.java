package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.port.onnx.Export;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.port.codegen.PyTorchPackage;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    header = "Writes a .tflite model as ONNX with TensorFlow's semantics.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:written", Main.EXIT_USAGE, "3:a valid model with ops that cannot be exported (named; no file written)"},
    description = {
      "Writes MODEL.tflite as ONNX with TensorFlow's semantics (opset 17, NCHW inside, SAME padding as asymmetric Conv",
      "pads, every ONNX tensor named after the TFLite tensor it reproduces). Check it with: validate MODEL --backends",
      "tflite,torch,onnxruntime, or compare MODEL out.onnx.",
      "With --to pytorch, -o is a directory that receives model.py (a generated nn.Module, eager PyTorch and",
      "TorchScript), weights.pth (its state_dict), model.pt (TorchScript archive) and USAGE.md."
    })
final class ConvertCommand implements Callable<Integer> {
  /** What --to writes. */
  enum Format {
    ONNX,
    PYTORCH
  }

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = ".tflite model")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
      description = "Where to write: the .onnx file, or with --to pytorch the directory")
  Path output;

  @Option(names = "--to", defaultValue = "onnx", paramLabel = "onnx|pytorch",
      converter = Converters.OutputFormatConverter.class, description = "onnx or pytorch (default: ${DEFAULT-VALUE})")
  Format to;

  @Option(names = "--pytorch-layout", defaultValue = "nhwc", paramLabel = "nhwc|nchw",
      converter = Converters.PyTorchLayoutConverter.class,
      description = "Layout of rank-4 inputs/outputs of the generated module: nhwc (the TFLite signature) or nchw"
          + " (default: ${DEFAULT-VALUE})")
  PyGenerator.Boundary boundary;

  @Option(names = "--class-name", defaultValue = "Model", paramLabel = "NAME",
      converter = Converters.PythonClassName.class,
      description = "Class name of the generated module (default: ${DEFAULT-VALUE})")
  String className;

  @Option(names = "--onnx-layout", defaultValue = "nhwc", paramLabel = "nhwc|nchw",
      converter = Converters.OnnxLayoutConverter.class,
      description = "Layout of the ONNX input: nhwc (the TFLite signature, a Transpose at the entry) or nchw (default: ${DEFAULT-VALUE})")
  ExportOptions.InputLayout layout;

  @Mixin SharedOptions.Verbose verbose;

  @Override
  public Integer call() {
    if (to == Format.PYTORCH) {
      return pytorch();
    }
    new FilePlan().input("model " + model, model).output("-o", output).check();
    TfliteModel m = TfliteModel.read(model);
    Export export = Exporter.export(m, new ExportOptions(layout));
    export.model().write(output);
    spec.commandLine().getOut().println(String.format(Locale.ROOT,
        "wrote %s: %d nodes, %d tensors named after TFLite tensors, opset %d, input layout %s",
        output, export.model().nodes().size(), export.onnxToTflite().size(), export.model().opset(),
        layout.name().toLowerCase(Locale.ROOT)));
    return 0;
  }

  private int pytorch() {
    if (java.nio.file.Files.exists(output) && !java.nio.file.Files.isDirectory(output)) {
      throw CrossalignException.input("-o " + output + " is a file; --to pytorch writes a directory");
    }
    new FilePlan().input("model " + model, model).outputDirectory("-o", output).check();
    TfliteModel m = TfliteModel.read(model);
    PyTorchPackage.Written w = PyTorchPackage.write(m, OpRegistry.load(), className, boundary, output);
    spec.commandLine().getOut().println(String.format(Locale.ROOT,
        "wrote %s: model.py (class %s, %d ops, %d weights), weights.pth (%d bytes), model.pt (%d bytes), USAGE.md;"
            + " boundary layout %s",
        output, className, m.main().operators().size(), w.model().weights().size(), w.weightsBytes(),
        w.archiveBytes(), boundary.name().toLowerCase(Locale.ROOT)));
    return 0;
  }
}
