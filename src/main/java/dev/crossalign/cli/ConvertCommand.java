package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.export.Export;
import dev.crossalign.onnx.export.ExportOptions;
import dev.crossalign.onnx.export.Exporter;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Writes MODEL.tflite as ONNX with TensorFlow's semantics (opset 17, NCHW inside, SAME padding as asymmetric Conv",
      "pads, every ONNX tensor named after the TFLite tensor it reproduces). Check it with: validate MODEL --backends",
      "tflite,torch,onnxruntime, or compare MODEL out.onnx."
    })
final class ConvertCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = ".tflite model")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx", description = "Where to write the ONNX model")
  Path output;

  @Option(names = "--onnx-layout", defaultValue = "nhwc",
      description = "Layout of the ONNX input: nhwc (the TFLite signature, a Transpose at the entry) or nchw (default: ${DEFAULT-VALUE})")
  String layout;

  @Option(names = "--verbose", description = "Stack traces for errors")
  boolean verbose;

  @Override
  public Integer call() {
    ExportOptions.InputLayout il;
    try {
      il = ExportOptions.InputLayout.valueOf(layout.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw CrossalignException.input("--onnx-layout must be nhwc or nchw, got '" + layout + "'");
    }
    new FilePlan().input("model " + model, model).output("-o", output).check();
    TfliteModel m = TfliteModel.read(model);
    Export export = Exporter.export(m, new ExportOptions(il));
    export.model().write(output);
    spec.commandLine().getOut().println(String.format(Locale.ROOT,
        "wrote %s: %d nodes, %d tensors named after TFLite tensors, opset %d, input layout %s",
        output, export.model().nodes().size(), export.onnxToTflite().size(), export.model().opset(), il.name().toLowerCase(Locale.ROOT)));
    return 0;
  }
}
