package dev.crossalign.backend.torch;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Copies between HostTensor and libtorch tensors; the only place where host bytes meet torch memory. */
public final class TorchTensors {
  private TorchTensors() {}

  /** A new CPU torch tensor holding a copy of {@code h}. FLOAT16 becomes float32 (exact). */
  public static Tensor toTorch(HostTensor h) {
    long[] shape = new long[h.rank()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = h.dim(i);
    }
    return switch (h.dtype()) {
      case FLOAT32, FLOAT16, FLOAT64 -> AbstractTensor.create(h.toFloatArray(), shape);
      case INT32, INT16, INT8, UINT8 -> {
        int n = Math.toIntExact(h.numel());
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = (int) h.getDouble(i);
        }
        Tensor t = AbstractTensor.create(v, shape);
        yield h.dtype() == DType.INT32 ? t : t; // int16/int8/uint8 are widened to int32: torch ops take int32 indices
      }
      case INT64 -> AbstractTensor.create(h.toLongArray(), shape);
      case BOOL -> {
        int n = Math.toIntExact(h.numel());
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) {
          v[i] = h.getDouble(i) != 0;
        }
        yield AbstractTensor.create(v, shape);
      }
    };
  }

  /** A new CPU float64 torch tensor holding {@code h}'s values (floating dtypes only; exact). */
  public static Tensor toTorchDouble(HostTensor h) {
    long[] shape = new long[h.rank()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = h.dim(i);
    }
    int n = Math.toIntExact(h.numel());
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = h.getDouble(i);
    }
    return AbstractTensor.create(v, shape);
  }

  /** Copies a torch tensor (any device, any strides) to the host, tagging it with {@code layout}. */
  public static HostTensor toHost(Tensor t, Layout layout) {
    return toHost(t, layout, false);
  }

  /**
   * As {@link #toHost(Tensor, Layout)}; with {@code keepDouble} a float64 tensor stays FLOAT64 on the host (the
   * float64 truth), otherwise it is rounded to float32 like every other backend's output.
   */
  public static HostTensor toHost(Tensor t, Layout layout, boolean keepDouble) {
    Tensor c = t.device().is_cpu() ? t : t.cpu();
    // JavaCPP builds returned enums without their ordinal: intern() gives the real constant for the switch.
    ScalarType st = c.scalar_type().intern();
    HostView view = HostView.of(c, st, keepDouble);
    Tensor src = view.src();
    long[] shape = src.shape();
    int[] ishape = intShape(shape);
    long nbytes = src.nbytes();
    long expect = HostTensor.numel(ishape) * view.dtype().byteSize();
    if (nbytes != expect) {
      throw new CrossalignException(
          CrossalignException.Kind.INTERNAL, "torch tensor " + st + java.util.Arrays.toString(shape) + " has " + nbytes + " bytes, expected " + expect);
    }
    if (nbytes > Integer.MAX_VALUE - 8) {
      // a shape no real model has (a mutated or hostile file): one line, not "internal error: integer overflow"
      throw CrossalignException.input("a tensor of shape " + java.util.Arrays.toString(shape) + " holds " + nbytes
          + " bytes, more than the 2 GiB a host tensor can hold");
    }
    ByteBuffer out = ByteBuffer.allocate((int) nbytes).order(ByteOrder.LITTLE_ENDIAN);
    if (nbytes > 0) {
      ByteBuffer nb = new BytePointer(src.data_ptr()).capacity(nbytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      out.put(nb);
      out.flip();
    }
    return HostTensor.wrap(view.dtype(), ishape, layout, out);
  }

  /** The host dtype a CPU tensor of scalar type {@code st} becomes, and the contiguous tensor holding its bytes. */
  private record HostView(DType dtype, Tensor src) {
    static HostView of(Tensor c, ScalarType st, boolean keepDouble) {
      return switch (st) {
        case Float -> new HostView(DType.FLOAT32, c.contiguous());
        case Double -> keepDouble
            ? new HostView(DType.FLOAT64, c.contiguous())
            : new HostView(DType.FLOAT32, c.to(ScalarType.Float).contiguous());
        case Half, BFloat16 -> new HostView(DType.FLOAT32, c.to(ScalarType.Float).contiguous());
        case Int -> new HostView(DType.INT32, c.contiguous());
        case Long -> new HostView(DType.INT64, c.contiguous());
        case Bool -> new HostView(DType.BOOL, c.contiguous());
        case Char -> new HostView(DType.INT8, c.contiguous());
        case Byte -> new HostView(DType.UINT8, c.contiguous());
        case Short -> new HostView(DType.INT16, c.contiguous());
        default -> throw new CrossalignException(
            CrossalignException.Kind.INTERNAL, "torch tensor of type " + st + " cannot be brought to the host");
      };
    }
  }

  /** A torch shape as a host shape; an axis over 2^31-1 elements is a user error, one line. */
  private static int[] intShape(long[] shape) {
    int[] ishape = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] > Integer.MAX_VALUE) {
        throw CrossalignException.input("a tensor of shape " + java.util.Arrays.toString(shape) + " has an axis of more"
            + " than 2^31-1 elements");
      }
      ishape[i] = (int) shape[i];
    }
    return ishape;
  }
}
