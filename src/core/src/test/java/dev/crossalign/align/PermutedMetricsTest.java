package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Metrics read through a permutation (no permuted copy) against the permuted tensor built here by explicit index
 * arithmetic: every value, the argmax and the value there must be what the materialised comparison gives.
 */
class PermutedMetricsTest {

  static Stream<Arguments> permutations() {
    List<Arguments> out = new ArrayList<>();
    permute(new int[4], new boolean[4], 0, out, new int[] {2, 3, 4, 5});
    // more than one 8192-element chunk, so the odometer carries across chunk boundaries
    out.add(Arguments.of(new int[] {3, 50, 70, 2}, new int[] {0, 2, 3, 1}));
    out.add(Arguments.of(new int[] {3, 50, 70, 2}, new int[] {0, 3, 1, 2}));
    out.add(Arguments.of(new int[] {7, 1300}, new int[] {1, 0}));
    // NCHW read as NHWC with C * W above a tile (ElementReader.TILE_FLOATS): a view row block in two tiles
    out.add(Arguments.of(new int[] {1, 700, 3, 100}, new int[] {0, 2, 3, 1}));
    out.add(Arguments.of(new int[] {2, 3, 1, 4, 5}, new int[] {4, 2, 0, 3, 1}));
    return out.stream();
  }

  private static void permute(int[] p, boolean[] used, int k, List<Arguments> out, int[] shape) {
    if (k == p.length) {
      out.add(Arguments.of(shape, p.clone()));
      return;
    }
    for (int a = 0; a < p.length; a++) {
      if (!used[a]) {
        used[a] = true;
        p[k] = a;
        permute(p, used, k + 1, out, shape);
        used[a] = false;
      }
    }
  }

  /** view[i0..] = src[j...] with j[perm[k]] = i[k], by nested index arithmetic. */
  private static float[] permutedValues(float[] src, int[] shape, int[] perm) {
    int r = shape.length;
    int[] view = new int[r];
    for (int k = 0; k < r; k++) {
      view[k] = shape[perm[k]];
    }
    long[] srcStride = new long[r];
    long s = 1;
    for (int k = r - 1; k >= 0; k--) {
      srcStride[k] = s;
      s *= shape[k];
    }
    float[] out = new float[src.length];
    int[] i = new int[r];
    for (int flat = 0; flat < out.length; flat++) {
      int rest = flat;
      for (int k = r - 1; k >= 0; k--) {
        i[k] = rest % view[k];
        rest /= view[k];
      }
      long off = 0;
      for (int k = 0; k < r; k++) {
        off += i[k] * srcStride[perm[k]];
      }
      out[flat] = src[(int) off];
    }
    return out;
  }

  private static int[] viewShape(int[] shape, int[] perm) {
    int[] v = new int[perm.length];
    for (int k = 0; k < perm.length; k++) {
      v[k] = shape[perm[k]];
    }
    return v;
  }

  private static List<Integer> list(int[] p) {
    List<Integer> l = new ArrayList<>();
    for (int v : p) {
      l.add(v);
    }
    return l;
  }

  @ParameterizedTest
  @MethodSource("permutations")
  void readsThroughThePermutationAsTheCopyWould(int[] shape, int[] perm) {
    int n = (int) HostTensor.numel(shape);
    float[] src = new float[n];
    java.util.Random rnd = new java.util.Random(42);
    for (int i = 0; i < n; i++) {
      src[i] = (float) rnd.nextGaussian();
    }
    float[] view = permutedValues(src, shape, perm);
    HostTensor cand = HostTensor.ofFloats(shape, Layout.ANY, src);
    HostTensor exact = HostTensor.ofFloats(viewShape(shape, perm), Layout.ANY, view);
    Metrics same = Metrics.of(exact, cand, list(perm), Tolerance.DEFAULT);
    assertThat(same.maxAbs()).isZero();
    assertThat(same.pass()).isTrue();
    assertThat(same.count()).isEqualTo(n);

    // one element off, in the reference's order: found at its own position, with both values
    int at = n * 2 / 3;
    float[] shifted = view.clone();
    shifted[at] += 0.5f;
    HostTensor ref = HostTensor.ofFloats(viewShape(shape, perm), Layout.ANY, shifted);
    Metrics m = Metrics.of(ref, cand, list(perm), Tolerance.DEFAULT);
    Metrics copied = Metrics.of(ref, exact, Tolerance.DEFAULT);
    assertThat(m.argmax()).isEqualTo(at);
    assertThat(m.candAtArgmax()).isEqualTo((double) view[at]);
    assertThat(m.refAtArgmax()).isEqualTo((double) shifted[at]);
    assertThat(m).isEqualTo(copied);
  }

  @ParameterizedTest
  @MethodSource("permutations")
  void integerTensorsToo(int[] shape, int[] perm) {
    int n = (int) HostTensor.numel(shape);
    ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    float[] src = new float[n];
    for (int i = 0; i < n; i++) {
      b.putInt(i * 4, i * 7 - 300);
      src[i] = i * 7 - 300;
    }
    HostTensor cand = HostTensor.wrap(DType.INT32, shape, Layout.ANY, b);
    HostTensor ref = HostTensor.ofFloats(viewShape(shape, perm), Layout.ANY, permutedValues(src, shape, perm));
    Metrics m = Metrics.of(ref, cand, list(perm), Tolerance.DEFAULT);
    assertThat(m.maxAbs()).isZero();
    assertThat(m.sumDiff()).isZero();
  }

  /**
   * validate's candidates and reference are often native or mapped memory (direct buffers): the tiled permuted read
   * of a direct NCHW candidate gives, bit for bit, what the materialised NHWC copy gives.
   */
  @org.junit.jupiter.api.Test
  void directBuffersReadThroughTilesAsTheCopyWould() {
    int[] nchw = {1, 700, 3, 100};
    int[] perm = {0, 2, 3, 1};
    int n = (int) HostTensor.numel(nchw);
    float[] src = new float[n];
    float[] ref = new float[n];
    java.util.Random rnd = new java.util.Random(9);
    for (int i = 0; i < n; i++) {
      src[i] = (float) rnd.nextGaussian();
    }
    float[] view = permutedValues(src, nchw, perm);
    for (int i = 0; i < n; i++) {
      ref[i] = view[i] + (float) (rnd.nextGaussian() * 1e-4);
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    direct.asFloatBuffer().put(src);
    HostTensor cand = HostTensor.wrap(DType.FLOAT32, nchw, Layout.NCHW, direct);
    HostTensor r = HostTensor.ofFloats(viewShape(nchw, perm), Layout.NHWC, ref);
    Metrics tiled = Metrics.of(r, cand, list(perm), Tolerance.DEFAULT);
    Metrics copied = Metrics.of(r, HostTensor.ofFloats(viewShape(nchw, perm), Layout.NHWC, view), Tolerance.DEFAULT);
    assertThat(tiled).isEqualTo(copied);
    assertThat(tiled.outOfTolerance()).isPositive();
  }
}
