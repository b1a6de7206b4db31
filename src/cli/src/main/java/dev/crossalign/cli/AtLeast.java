package dev.crossalign.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A picocli converter of a count at least {@code min}: runs, repeats, models per worker (1), warm-up rounds and workers
 * (0). Its own class, using nothing of crossalign, so that the GPU check's command ({@link GpuCheckCommand}), whose
 * class closure the GPU bundle checks, takes it without the other converters' engine types.
 */
abstract class AtLeast implements ITypeConverter<Integer> {
  private final int min;
  private final String prefix;

  AtLeast(int min) {
    this(min, "");
  }

  /** {@code prefix}: what the message starts with ("--threads "), picocli naming the option before it anyway. */
  AtLeast(int min, String prefix) {
    this.min = min;
    this.prefix = prefix;
  }

  @Override
  public Integer convert(String text) {
    int n;
    try {
      n = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("must be a whole number, got '" + text + "'");
    }
    if (n < min) {
      throw new TypeConversionException(prefix + "must be at least " + min + ", got " + n);
    }
    return n;
  }
}
