package dev.crossalign.tensor;

import dev.crossalign.CrossalignException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * numpy's .npy format (versions 1.0, 2.0 and 3.0), written here rather than taken from a library: the format is
 * small, and we need float16, Fortran order transposed to C order, big-endian conversion and a hard cap on sizes
 * before any allocation, which the Java npy libraries do not all give.
 *
 * <p>Read tensors are C-order, little-endian and {@link Layout#ANY}: the caller decides what the axes mean. Every
 * problem with the bytes is a one-line {@link CrossalignException} of kind INPUT that names the file.
 */
public final class Npy {
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** numpy pads the header so that the data starts at a multiple of this. */
  static final int ALIGN = 64;
  /** Larger headers are not something numpy writes for a plain array; refuse before reading them. */
  static final int MAX_HEADER = 1 << 20;
  /** Java arrays stop a little short of 2^31. */
  static final long MAX_DATA = Integer.MAX_VALUE - 64;

  private Npy() {}

  /** Reads a whole .npy file; its size caps what the header may claim. */
  public static HostTensor read(Path path) {
    String label = path.toString();
    long size = RegularFiles.require(path, label);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
      return read(in, label, size, true);
    } catch (IOException e) {
      throw CrossalignException.input(label + ": cannot read: " + AtomicFiles.describe(e));
    }
  }

  /**
   * Reads one .npy array from a stream that must end right after the data. {@code maxBytes} caps the whole
   * array (header included): a header that claims more fails before anything is allocated, and the data is only
   * ever buffered as it actually arrives. {@code label} names the source in error messages.
   */
  public static HostTensor read(InputStream in, String label, long maxBytes) {
    try {
      return read(in, label, maxBytes, false);
    } catch (IOException e) {
      throw CrossalignException.input(label + ": cannot read: " + AtomicFiles.describe(e));
    }
  }

  /** {@code exact}: maxBytes is the exact length of the source (a file), so the data length must match it. */
  static HostTensor read(InputStream in, String label, long maxBytes, boolean exact) throws IOException {
    Prefix p = readPrefix(in, label, maxBytes);
    NpyHeader h = p.header();
    int[] shape = h.shape();
    int es = h.dtype().byteSize();
    long available = maxBytes - p.bytes();
    long nbytes;
    try {
      nbytes = Math.multiplyExact(HostTensor.numel(shape), (long) es);
    } catch (ArithmeticException e) {
      throw NpyHeader.bad(label, "shape " + Arrays.toString(shape) + " has more elements than a long holds");
    }
    String needs = "shape " + Arrays.toString(shape) + " of " + NpyHeader.descrOf(h.dtype()).substring(1)
        + " needs " + nbytes + " data bytes";
    if (exact && nbytes != available) {
      throw NpyHeader.bad(label, needs + ", the file has " + available
          + (nbytes > available ? " (truncated, or a wrong shape)" : " (trailing bytes, or a wrong shape)"));
    }
    if (nbytes > available) {
      throw NpyHeader.bad(label, needs + ", at most " + available + " are there");
    }
    if (nbytes > MAX_DATA) {
      throw NpyHeader.bad(label, needs + ", over the 2 GiB limit of one tensor");
    }
    byte[] data = exact ? readExact(in, (int) nbytes) : readGrowing(in, (int) nbytes);
    if (data.length < nbytes) {
      throw NpyHeader.bad(label, needs + ", truncated after " + data.length);
    }
    if (in.read() != -1) {
      throw NpyHeader.bad(label, needs + ", and more bytes follow the data");
    }
    if (h.bigEndian()) {
      swapBytes(data, es);
    }
    return inCOrder(h, ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN));
  }

  /** The magic, version, header length and header, checked; {@code bytes}: how many precede the data. */
  private record Prefix(NpyHeader header, long bytes) {}

  private static Prefix readPrefix(InputStream in, String label, long maxBytes) throws IOException {
    byte[] pre = in.readNBytes(8);
    if (pre.length < 8 || !Arrays.equals(Arrays.copyOf(pre, 6), MAGIC)) {
      if (pre.length < 6) {
        throw NpyHeader.bad(label, pre.length == 0 ? "empty" : "only " + pre.length + " bytes");
      }
      if (!Arrays.equals(Arrays.copyOf(pre, 6), MAGIC)) {
        throw NpyHeader.bad(label, "bad magic (expected \\x93NUMPY at byte 0)");
      }
      throw NpyHeader.bad(label, "truncated before the version bytes");
    }
    int major = pre[6] & 0xff;
    int minor = pre[7] & 0xff;
    int lenBytes;
    if (major == 1 && minor == 0) {
      lenBytes = 2;
    } else if ((major == 2 || major == 3) && minor == 0) {
      lenBytes = 4;
    } else {
      throw NpyHeader.bad(label, "unsupported format version " + major + "." + minor + " (1.0, 2.0, 3.0 are)");
    }
    byte[] lb = in.readNBytes(lenBytes);
    if (lb.length < lenBytes) {
      throw NpyHeader.bad(label, "truncated in the header length");
    }
    long headerLen = lenBytes == 2
        ? (lb[0] & 0xff) | (lb[1] & 0xff) << 8
        : ByteBuffer.wrap(lb).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    long prefix = 8 + lenBytes;
    if (headerLen > MAX_HEADER || prefix + headerLen > maxBytes) {
      throw NpyHeader.bad(label, "header length " + headerLen + " exceeds "
          + (headerLen > MAX_HEADER ? "the 1 MiB limit" : "the " + maxBytes + " bytes available"));
    }
    byte[] hb = in.readNBytes((int) headerLen);
    if (hb.length < headerLen) {
      throw NpyHeader.bad(label, "truncated in the header (" + hb.length + " of " + headerLen + " bytes)");
    }
    String text = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    return new Prefix(NpyHeader.parse(text, label), prefix + headerLen);
  }

  /** The data as a C-order tensor of the header's shape. */
  private static HostTensor inCOrder(NpyHeader h, ByteBuffer buf) {
    int[] shape = h.shape();
    if (h.fortranOrder() && shape.length > 1) {
      // Column-major data of shape s is the row-major array of reversed(s); reversing its axes gives s in C order.
      int r = shape.length;
      int[] reversed = new int[r];
      int[] perm = new int[r];
      for (int k = 0; k < r; k++) {
        reversed[k] = shape[r - 1 - k];
        perm[k] = r - 1 - k;
      }
      return HostTensor.wrap(h.dtype(), reversed, Layout.ANY, buf).permute(perm, Layout.ANY);
    }
    return HostTensor.wrap(h.dtype(), shape, Layout.ANY, buf);
  }

  private static byte[] readExact(InputStream in, int n) throws IOException {
    byte[] b = new byte[n];
    int got = in.readNBytes(b, 0, n);
    return got == n ? b : Arrays.copyOf(b, got);
  }

  /** Reads up to n bytes, growing the buffer only as data arrives (a lying header cannot make us allocate). */
  private static byte[] readGrowing(InputStream in, int n) throws IOException {
    byte[] b = new byte[Math.min(n, 1 << 20)];
    int got = 0;
    while (got < n) {
      if (got == b.length) {
        b = Arrays.copyOf(b, (int) Math.min(n, (long) b.length * 2));
      }
      int r = in.read(b, got, b.length - got);
      if (r < 0) {
        break;
      }
      got += r;
    }
    return got == b.length ? b : Arrays.copyOf(b, got);
  }

  private static void swapBytes(byte[] b, int es) {
    for (int i = 0; i + es <= b.length; i += es) {
      for (int lo = i, hi = i + es - 1; lo < hi; lo++, hi--) {
        byte t = b[lo];
        b[lo] = b[hi];
        b[hi] = t;
      }
    }
  }

  /** The .npy bytes of a tensor: C order, little-endian, header v1.0 (v2.0 when the header needs it). */
  public static byte[] toBytes(HostTensor t) {
    byte[] header = header(t.dtype(), t.shape());
    ByteBuffer data = t.data();
    long total = (long) header.length + data.remaining();
    if (total > MAX_DATA) {
      throw CrossalignException.input("tensor " + t + " is too large for one .npy byte array (" + total + " bytes)");
    }
    byte[] out = Arrays.copyOf(header, (int) total);
    data.get(out, header.length, data.remaining());
    return out;
  }

  /** Writes a tensor as .npy atomically: a temp file in the same directory, then a move over {@code path}. */
  public static void write(Path path, HostTensor t) {
    byte[] header = header(t.dtype(), t.shape());
    AtomicFiles.write(path, out -> writeTo(out, header, t));
  }

  static void writeTo(OutputStream out, byte[] header, HostTensor t) throws IOException {
    out.write(header);
    ByteBuffer data = t.data();
    byte[] chunk = new byte[Math.min(data.remaining(), 1 << 16)];
    while (data.hasRemaining()) {
      int n = Math.min(chunk.length, data.remaining());
      data.get(chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }

  /** Magic, version, length and the space-padded dict ending in '\n', a multiple of 64 bytes long. */
  static byte[] header(DType dtype, int[] shape) {
    String dict = NpyHeader.format(dtype, shape);
    int major = 1;
    int prefix = 10;
    int len = dict.length() + 1;
    int padded = len + (ALIGN - (prefix + len) % ALIGN) % ALIGN;
    if (padded > 0xffff) {
      major = 2;
      prefix = 12;
      padded = len + (ALIGN - (prefix + len) % ALIGN) % ALIGN;
    }
    byte[] out = new byte[prefix + padded];
    System.arraycopy(MAGIC, 0, out, 0, 6);
    out[6] = (byte) major;
    out[7] = 0;
    ByteBuffer lenBuf = ByteBuffer.wrap(out, 8, prefix - 8).order(ByteOrder.LITTLE_ENDIAN);
    if (major == 1) {
      lenBuf.putShort((short) padded);
    } else {
      lenBuf.putInt(padded);
    }
    byte[] d = dict.getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(d, 0, out, prefix, d.length);
    Arrays.fill(out, prefix + d.length, out.length - 1, (byte) ' ');
    out[out.length - 1] = '\n';
    return out;
  }
}
