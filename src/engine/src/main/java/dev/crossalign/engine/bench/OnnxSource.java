package dev.crossalign.engine.bench;

import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tflite.TfliteModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * Where the onnxruntime leg's model comes from: a given .onnx file, else the exporter
 * ({@code dev.crossalign.port.onnx.Exporter.export(TfliteModel, ExportOptions.DEFAULT).model()}), looked up at run
 * time so that this package builds before and after the exporter lands.
 */
final class OnnxSource {
  static final String EXPORTER = "dev.crossalign.port.onnx.Exporter";
  static final String OPTIONS = "dev.crossalign.port.onnx.ExportOptions";

  private OnnxSource() {}

  /** The ONNX model, or null (with the reason in {@code why[0]}) when there is none to run. */
  static OnnxModel resolve(Path file, TfliteModel model, String[] why) {
    if (file != null) {
      return OnnxModel.read(file);
    }
    try {
      Class<?> exporter = Class.forName(EXPORTER);
      Class<?> options = Class.forName(OPTIONS);
      Object defaults = options.getField("DEFAULT").get(null);
      Method export = exporter.getMethod("export", TfliteModel.class, options);
      Object export1 = export.invoke(null, model, defaults);
      return (OnnxModel) export1.getClass().getMethod("model").invoke(export1);
    } catch (ClassNotFoundException e) {
      why[0] = "onnxruntime skipped: the ONNX exporter is not in this build; pass --onnx FILE";
      return null;
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof CrossalignException ce) {
        why[0] = "onnxruntime skipped: " + ce.getMessage();
        return null;
      }
      throw new CrossalignException(CrossalignException.Kind.INTERNAL, "ONNX export failed: " + e.getCause(), e);
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new CrossalignException(CrossalignException.Kind.INTERNAL, "the ONNX exporter's API is not the expected"
          + " one (" + e + ")", e);
    }
  }
}
