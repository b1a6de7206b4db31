package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.InputChecks;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.batch.Isolation;
import dev.crossalign.engine.compare.CompareRequest;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli type converters of the run-spec options, so that a bad value fails while the command line is parsed: exit 2
 * with one line naming the option, the value, what was expected, and the command's --help.
 */
final class Converters {
  private Converters() {}

  /** {@code parse} of the text, its one-line input error as picocli's conversion error. */
  static <T> T convert(String text, Function<String, T> parse) {
    try {
      return parse.apply(text);
    } catch (CrossalignException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }

  /** cpu, cuda, gpu or cuda:N. */
  static final class DeviceConverter implements ITypeConverter<Device> {
    @Override
    public Device convert(String text) {
      return Converters.convert(text, Device::parse);
    }
  }

  /** chained, isolated or both. */
  static final class ModeConverter implements ITypeConverter<ValidationRequest.RunMode> {
    @Override
    public ValidationRequest.RunMode convert(String text) {
      return Converters.convert(text, ValidationRequest.RunMode::parse);
    }
  }

  /** A backend validate takes: tflite (the reference), torch, onnxruntime. */
  static final class ValidateBackend implements ITypeConverter<BackendKind> {
    @Override
    public BackendKind convert(String text) {
      return Converters.convert(text, t -> BackendKind.parse(t, BackendKind.Use.VALIDATE));
    }
  }

  /** A backend bench times: tflite, tflite-xnnpack, torch, onnxruntime. */
  static final class BenchBackend implements ITypeConverter<BackendKind> {
    @Override
    public BackendKind convert(String text) {
      return Converters.convert(text, t -> BackendKind.parse(t, BackendKind.Use.BENCH));
    }
  }

  /** A backend determinism repeats: tflite, torch, onnxruntime. */
  static final class DeterminismBackend implements ITypeConverter<BackendKind> {
    @Override
    public BackendKind convert(String text) {
      return Converters.convert(text, t -> BackendKind.parse(t, BackendKind.Use.DETERMINISM));
    }
  }

  /** LOW,HIGH: two finite numbers, low below high. */
  static final class InputRangeConverter implements ITypeConverter<RunSpec.InputRange> {
    @Override
    public RunSpec.InputRange convert(String text) {
      return Converters.convert(text, InputRangeConverter::parse);
    }

    static RunSpec.InputRange parse(String text) {
      String[] parts = text.split(",");
      if (parts.length != 2) {
        throw CrossalignException.input("--input-range must be LOW,HIGH, got '" + text + "'");
      }
      try {
        return new RunSpec.InputRange(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
      } catch (NumberFormatException e) {
        throw CrossalignException.input("--input-range must be two numbers, got '" + text + "'");
      }
    }
  }

  /** --input: NAME=FILE.npy or FILE.npz (the file is read when the command runs). */
  static final class InputFileConverter implements ITypeConverter<NpyInputs.Spec> {
    @Override
    public NpyInputs.Spec convert(String text) {
      return Converters.convert(text, NpyInputs.Spec::parse);
    }
  }

  /** validate --tolerance: fixed or auto. */
  static final class ValidateToleranceConverter implements ITypeConverter<ValidateCommand.ToleranceMode> {
    @Override
    public ValidateCommand.ToleranceMode convert(String text) {
      return choice(text, ValidateCommand.ToleranceMode.class);
    }
  }

  /** truth --tolerance: report or auto. */
  static final class TruthToleranceConverter implements ITypeConverter<TruthCommand.ToleranceMode> {
    @Override
    public TruthCommand.ToleranceMode convert(String text) {
      return choice(text, TruthCommand.ToleranceMode.class);
    }
  }

  /** --tflite-delegate: none, xnnpack or PATH.so[:key=value,...], the library a readable file. */
  static final class TfliteDelegateConverter implements ITypeConverter<TfliteDelegateOption.Choice> {
    @Override
    public TfliteDelegateOption.Choice convert(String text) {
      return new TfliteDelegateOption.Choice(text, Converters.convert(text, t -> {
        TfliteOptions o = TfliteOptions.defaults().withDelegateArgument(t);
        if (o.external() != null) {
          o.external().requireLibrary();
        }
        return o;
      }));
    }
  }

  /** 0,1 or -1,1 or 0,255. */
  static final class ExpectedRangeConverter implements ITypeConverter<InputChecks.ValueRange> {
    @Override
    public InputChecks.ValueRange convert(String text) {
      return switch (text.replace(" ", "")) {
        case "0,1" -> InputChecks.ValueRange.ZERO_ONE;
        case "-1,1" -> InputChecks.ValueRange.MINUS_ONE_ONE;
        case "0,255" -> InputChecks.ValueRange.ZERO_255;
        default -> throw new TypeConversionException("--expected-range must be 0,1 or -1,1 or 0,255, got '" + text
            + "'");
      };
    }
  }

  /** A tolerance bound: a finite number at least 0. */
  static final class NonNegative implements ITypeConverter<Double> {
    @Override
    public Double convert(String text) {
      double v = number(text);
      if (!(v >= 0) || Double.isInfinite(v)) {
        throw new TypeConversionException("must be a finite number >= 0, got '" + text + "'");
      }
      return v;
    }
  }

  /** A finite number (a rel_l2 budget: negative turns it off). */
  static final class Finite implements ITypeConverter<Double> {
    @Override
    public Double convert(String text) {
      double v = number(text);
      if (!Double.isFinite(v)) {
        throw new TypeConversionException("must be a finite number, got '" + text + "'");
      }
      return v;
    }
  }

  /** A thread count: a whole number at least 1. */
  static final class Threads extends AtLeast {
    Threads() {
      super(1, "--threads ");
    }
  }

  /** auto, as-is or nchw. */
  static final class TorchScriptLayoutConverter implements ITypeConverter<CompareRequest.TorchScriptLayout> {
    @Override
    public CompareRequest.TorchScriptLayout convert(String text) {
      try {
        return CompareRequest.TorchScriptLayout.valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("--torchscript-layout must be auto, as-is or nchw, got '" + text + "'");
      }
    }
  }

  /** A determinism profile by the name given (for reports) and its settings. */
  record NamedProfile(String name, dev.crossalign.backend.DeterminismConfig config) {}

  /** deterministic, fast, tf32-default or a .properties file, read now: an unknown name or a bad file is a usage error. */
  static final class ProfileConverter implements ITypeConverter<NamedProfile> {
    @Override
    public NamedProfile convert(String text) {
      return new NamedProfile(text, Converters.convert(text, dev.crossalign.backend.Profiles::load));
    }
  }

  /** A whole number at least 0. */
  static final class AtLeast0 extends AtLeast {
    AtLeast0() {
      super(0);
    }
  }

  /** A whole number at least 1. */
  static final class AtLeast1 extends AtLeast {
    AtLeast1() {
      super(1);
    }
  }

  /** A whole number at least 2 (repeats to compare). */
  static final class AtLeast2 extends AtLeast {
    AtLeast2() {
      super(2);
    }
  }

  /** A positive, finite number of seconds. */
  static final class Seconds implements ITypeConverter<Double> {
    @Override
    public Double convert(String text) {
      double v = number(text);
      if (!(v > 0) || Double.isInfinite(v)) {
        throw new TypeConversionException("must be a positive number of seconds, got '" + text + "'");
      }
      return v;
    }
  }

  /** A memory size: "6g", "3000m", "512M", "2.5G" or a number of MiB, at least 1 MiB; as MiB. */
  static final class MemorySize implements ITypeConverter<Long> {
    @Override
    public Long convert(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      double unit = 1;
      if (t.endsWith("g") || t.endsWith("gb") || t.endsWith("gib")) {
        unit = 1024;
      } else if (t.endsWith("t") || t.endsWith("tb") || t.endsWith("tib")) {
        unit = 1024 * 1024;
      }
      String digits = t.replaceAll("(?:[kmgt]i?b?)$", "");
      try {
        double v = Double.parseDouble(digits) * unit;
        if (!(v >= 1) || Double.isInfinite(v) || t.endsWith("k") || t.endsWith("kb") || t.endsWith("kib")) {
          throw new NumberFormatException();
        }
        return (long) Math.floor(v);
      } catch (NumberFormatException e) {
        throw new TypeConversionException("must be a size such as 6g or 3000m (at least 1m), got '" + text + "'");
      }
    }
  }

  /** {@code Enum} constant by its lower-case, dashed name ("as-is"), else the choices. */
  static <E extends Enum<E>> E choice(String text, Class<E> type) {
    for (E e : type.getEnumConstants()) {
      if (e.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(text.trim().toLowerCase(Locale.ROOT))) {
        return e;
      }
    }
    throw new TypeConversionException("expected " + String.join(" or ", java.util.Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList()) + ", got '" + text + "'");
  }

  /** convert --to: onnx, or pytorch (alias torch). */
  static final class OutputFormatConverter implements ITypeConverter<ConvertCommand.Format> {
    @Override
    public ConvertCommand.Format convert(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      if (t.equals("onnx")) {
        return ConvertCommand.Format.ONNX;
      }
      if (t.equals("pytorch") || t.equals("torch")) {
        return ConvertCommand.Format.PYTORCH;
      }
      throw new TypeConversionException("--to must be onnx or pytorch, got '" + text + "'");
    }
  }

  /** convert --onnx-layout: nhwc or nchw. */
  static final class OnnxLayoutConverter implements ITypeConverter<dev.crossalign.port.onnx.ExportOptions.InputLayout> {
    @Override
    public dev.crossalign.port.onnx.ExportOptions.InputLayout convert(String text) {
      return choice(text, dev.crossalign.port.onnx.ExportOptions.InputLayout.class);
    }
  }

  /** convert --pytorch-layout: nhwc or nchw. */
  static final class PyTorchLayoutConverter implements ITypeConverter<dev.crossalign.port.codegen.PyGenerator.Boundary> {
    @Override
    public dev.crossalign.port.codegen.PyGenerator.Boundary convert(String text) {
      return choice(text, dev.crossalign.port.codegen.PyGenerator.Boundary.class);
    }
  }

  /** convert --class-name: a Python identifier that does not shadow what model.py imports. */
  static final class PythonClassName implements ITypeConverter<String> {
    @Override
    public String convert(String text) {
      if (!text.matches("[A-Za-z_][A-Za-z0-9_]*") || text.equals("Tensor") || text.equals("F")) {
        throw new TypeConversionException("--class-name must be a Python identifier, got '" + text + "'");
      }
      return text;
    }
  }

  /** process or thread. */
  static final class IsolationConverter implements ITypeConverter<Isolation> {
    @Override
    public Isolation convert(String text) {
      return Converters.convert(text, Isolation::parse);
    }
  }

  private static double number(String text) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("must be a number, got '" + text + "'");
    }
  }
}
