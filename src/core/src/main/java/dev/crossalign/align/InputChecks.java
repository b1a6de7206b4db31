package dev.crossalign.align;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Preprocessing checks on a user-supplied model input, to run before any layer is compared: a layer-1 mismatch is
 * most often layout (NCHW fed to NHWC), value range ([0, 255] fed to a [0, 1] model) or channel order (BGR vs RGB),
 * not the conversion. Shape errors throw; everything else is a warning in the report.
 */
public final class InputChecks {
  private InputChecks() {}

  /** The value range a model expects of its input, when known. */
  public enum ValueRange {
    ZERO_ONE(0, 1),
    MINUS_ONE_ONE(-1, 1),
    ZERO_255(0, 255),
    UNKNOWN(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);

    private final double lo;
    private final double hi;

    ValueRange(double lo, double hi) {
      this.lo = lo;
      this.hi = hi;
    }

    public double lo() {
      return lo;
    }

    public double hi() {
      return hi;
    }

    String text() {
      return "[" + fmt(lo) + ", " + fmt(hi) + "]";
    }
  }

  /**
   * What the input holds. min, max and mean are over the finite values (NaN when there are none); channelMeans is
   * per entry of the last axis for a rank-4 (NHWC) input, empty otherwise.
   */
  public record InputReport(
      String name,
      double min,
      double max,
      double mean,
      List<Double> channelMeans,
      long nanCount,
      long infCount,
      List<String> warnings) {
    public InputReport {
      channelMeans = List.copyOf(channelMeans);
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * Checks {@code actual} against the model input {@code name}: {@code expectedShape} in the model's own axes (NHWC
   * for rank 4; a negative entry is a dynamic dimension that matches anything), its dtype and its value range.
   *
   * @throws CrossalignException INPUT when the shape does not match; the message says the likely cause and fix
   */
  public static InputReport check(
      String name, int[] expectedShape, DType expectedDtype, ValueRange expectedRange, HostTensor actual) {
    int[] shape = actual.shape();
    if (!matches(expectedShape, shape)) {
      throw CrossalignException.input(shapeMessage(name, expectedShape, shape));
    }
    List<String> warnings = new ArrayList<>();
    String who = "input '" + name + "'";
    if (shape.length == 4 && actual.layout() == Layout.NCHW) {
      warnings.add(who + ": the tensor is marked NCHW but the model input is NHWC " + Arrays.toString(expectedShape)
          + "; its shape only matches because the dimensions coincide: transpose it with (0, 2, 3, 1) if the data"
          + " is channels-first");
    }
    if (expectedDtype != null && actual.dtype() != expectedDtype) {
      warnings.add(who + ": dtype " + actual.dtype() + " differs from the model's " + expectedDtype
          + "; values will be converted");
    }

    Stats st = Stats.of(actual, shape.length == 4 ? shape[3] : 0);
    long n = actual.numel();
    double min = st.min();
    double max = st.max();
    long nans = st.nans();
    long infs = st.infs();
    long finite = st.finite();
    if (nans > 0 || infs > 0) {
      warnings.add(who + ": " + nans + " NaN and " + infs + " infinite values of " + n
          + "; every metric downstream of them is meaningless");
    }
    if (finite > 1 && min == max) {
      warnings.add(who + ": constant input (every value is " + fmt(min)
          + "); layer comparisons on a constant input hide most conversion errors, use an image or random data");
    }
    if (finite > 0 && expectedRange != null && expectedRange != ValueRange.UNKNOWN) {
      String range = rangeWarning(expectedRange, min, max);
      if (range != null) {
        warnings.add(who + ": values in [" + fmt(min) + ", " + fmt(max) + "] but the model expects "
            + expectedRange.text() + "; " + range);
      }
    }
    return new InputReport(name, min, max, st.mean(), st.channelMeans(), nans, infs, warnings);
  }

  /** One pass over an input: range, mean and per-channel means of the finite values, NaN and Inf counts. */
  private record Stats(double min, double max, double mean, List<Double> channelMeans, long nans, long infs,
      long finite) {
    static Stats of(HostTensor actual, int channels) {
      long n = actual.numel();
      double[] channelSums = new double[channels];
      long[] channelCounts = new long[channels];
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      long finite = 0;
      long nans = 0;
      long infs = 0;
      for (long i = 0; i < n; i++) {
        double v = actual.getDouble(i);
        if (Double.isNaN(v)) {
          nans++;
          continue;
        }
        if (Double.isInfinite(v)) {
          infs++;
          continue;
        }
        finite++;
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
        if (channels > 0) {
          int c = (int) (i % channels);
          channelSums[c] += v;
          channelCounts[c]++;
        }
      }
      if (finite == 0) {
        min = Double.NaN;
        max = Double.NaN;
      }
      double mean = finite == 0 ? Double.NaN : sum / finite;
      List<Double> channelMeans = new ArrayList<>(channels);
      for (int c = 0; c < channels; c++) {
        channelMeans.add(channelCounts[c] == 0 ? Double.NaN : channelSums[c] / channelCounts[c]);
      }
      return new Stats(min, max, mean, channelMeans, nans, infs, finite);
    }
  }

  /** A hint for a range mismatch, or null when the values fit. Small overshoots (rounding) are tolerated. */
  private static String rangeWarning(ValueRange expected, double min, double max) {
    double tol = 1e-3 * (expected.hi() - expected.lo());
    boolean inside = min >= expected.lo() - tol && max <= expected.hi() + tol;
    boolean looks255 = min >= -tol && max > 1 + tol && max <= 255 + tol;
    boolean looksMinusOneOne = min < -tol && min >= -1 - tol && max <= 1 + tol;
    boolean looksZeroOne = min >= -tol && max <= 1 + tol;
    switch (expected) {
      case ZERO_ONE:
        if (inside) {
          return null;
        }
        if (looks255) {
          return "it looks like [0, 255] pixel data: divide by 255";
        }
        if (looksMinusOneOne) {
          return "it looks like [-1, 1] data: use (x + 1) / 2";
        }
        return "check the preprocessing";
      case MINUS_ONE_ONE:
        if (inside && looksZeroOne && max - min > tol) {
          // An image scaled to [0, 1] fits inside [-1, 1]: the classic silent mismatch, so say it even though it fits.
          return "no negative values: if the image was scaled to [0, 1], use x * 2 - 1";
        }
        if (inside) {
          return null;
        }
        if (looks255) {
          return "it looks like [0, 255] pixel data: use x / 127.5 - 1";
        }
        return "check the preprocessing";
      case ZERO_255:
        if (inside && max <= 1 + 1e-6 && max - min > 0) {
          return "all values are at most 1: if the image was scaled to [0, 1], multiply by 255";
        }
        if (inside) {
          return null;
        }
        if (looksMinusOneOne) {
          return "it looks like [-1, 1] data: use (x + 1) * 127.5";
        }
        return "check the preprocessing";
      default:
        return null;
    }
  }

  private static boolean matches(int[] expected, int[] actual) {
    if (expected.length != actual.length) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] >= 0 && expected[i] != actual[i]) {
        return false;
      }
    }
    return true;
  }

  private static String shapeMessage(String name, int[] expected, int[] actual) {
    String head = "input '" + name + "': shape " + Arrays.toString(actual) + " does not match the model's "
        + Arrays.toString(expected);
    if (expected.length == 4 && actual.length == 4) {
      if (matches(expected, permute(actual, Layout.nchwToNhwc()))) {
        return head + ": it looks like NCHW (channels-first) data fed to an NHWC input;"
            + " transpose it with permutation (0, 2, 3, 1), e.g. numpy x.transpose(0, 2, 3, 1)";
      }
      if (matches(expected, permute(actual, Layout.nhwcToNchw()))) {
        return head + ": it looks like NHWC (channels-last) data fed to an NCHW input;"
            + " transpose it with permutation (0, 3, 1, 2), e.g. numpy x.transpose(0, 3, 1, 2)";
      }
    }
    if (actual.length == expected.length - 1 && expected.length > 0 && (expected[0] == 1 || expected[0] < 0)
        && matches(Arrays.copyOfRange(expected, 1, expected.length), actual)) {
      return head + ": the batch axis is missing; add it, e.g. numpy x[None]";
    }
    if (actual.length == expected.length + 1 && actual.length > 0 && actual[0] == 1
        && matches(expected, Arrays.copyOfRange(actual, 1, actual.length))) {
      return head + ": there is an extra leading axis of 1; drop it, e.g. numpy x[0]";
    }
    if (expected.length == actual.length && isPermutation(expected, actual)) {
      return head + ": the same dimensions in another order; transpose the data to the model's axis order";
    }
    if (allKnown(expected) && HostTensor.numel(expected) == HostTensor.numel(actual)) {
      return head + ": the element counts agree, so the data may only need a reshape (check the axis order first)";
    }
    return head;
  }

  private static int[] permute(int[] shape, int[] perm) {
    int[] out = new int[perm.length];
    for (int k = 0; k < perm.length; k++) {
      out[k] = shape[perm[k]];
    }
    return out;
  }

  private static boolean isPermutation(int[] expected, int[] actual) {
    if (!allKnown(expected)) {
      return false;
    }
    int[] a = expected.clone();
    int[] b = actual.clone();
    Arrays.sort(a);
    Arrays.sort(b);
    return Arrays.equals(a, b);
  }

  private static boolean allKnown(int[] shape) {
    for (int d : shape) {
      if (d < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Swaps channels 0 and 2 of the last axis (RGB <-> BGR; an alpha or any further channel stays where it is), for
   * any dtype. Layout and shape are kept. Running it twice gives the input back.
   */
  public static HostTensor swapChannels(HostTensor nhwc) {
    int r = nhwc.rank();
    if (r == 0 || nhwc.dim(r - 1) < 3) {
      throw CrossalignException.input("cannot swap RGB/BGR channels of " + nhwc
          + ": the last axis must hold at least 3 channels");
    }
    int c = nhwc.dim(r - 1);
    int es = nhwc.dtype().byteSize();
    ByteBuffer src = nhwc.data();
    byte[] b = new byte[src.remaining()];
    src.get(b);
    byte[] tmp = new byte[es];
    for (int pixel = 0; pixel < b.length; pixel += c * es) {
      System.arraycopy(b, pixel, tmp, 0, es);
      System.arraycopy(b, pixel + 2 * es, b, pixel, es);
      System.arraycopy(tmp, 0, b, pixel + 2 * es, es);
    }
    return HostTensor.wrap(nhwc.dtype(), nhwc.shape(), nhwc.layout(), ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
  }

  private static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    return String.format(Locale.ROOT, "%.6g", v);
  }
}
