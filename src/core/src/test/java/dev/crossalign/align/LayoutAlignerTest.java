package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import org.junit.jupiter.api.Test;

class LayoutAlignerTest {

  /** NHWC tensor whose element at (n,h,w,c) is a distinct value computed from its coordinates. */
  static float nhwcValue(int n, int h, int w, int c) {
    return 1000 * n + 100 * h + 10 * w + c + 0.5f;
  }

  static HostTensor nhwc(int n, int h, int w, int c, Layout layout) {
    float[] v = new float[n * h * w * c];
    int k = 0;
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < h; b++) {
        for (int x = 0; x < w; x++) {
          for (int y = 0; y < c; y++) {
            v[k++] = nhwcValue(a, b, x, y);
          }
        }
      }
    }
    return HostTensor.ofFloats(new int[] {n, h, w, c}, layout, v);
  }

  /** The same values laid out NCHW, built by explicit index arithmetic (independent of HostTensor.permute). */
  static HostTensor nchw(int n, int h, int w, int c, Layout layout) {
    float[] v = new float[n * h * w * c];
    for (int a = 0; a < n; a++) {
      for (int y = 0; y < c; y++) {
        for (int b = 0; b < h; b++) {
          for (int x = 0; x < w; x++) {
            v[((a * c + y) * h + b) * w + x] = nhwcValue(a, b, x, y);
          }
        }
      }
    }
    return HostTensor.ofFloats(new int[] {n, c, h, w}, layout, v);
  }

  static LayoutAligner.Matched matched(LayoutAligner.Result r) {
    assertThat(r).isInstanceOf(LayoutAligner.Matched.class);
    return (LayoutAligner.Matched) r;
  }

  static void assertSameValues(HostTensor ref, HostTensor cand) {
    assertThat(cand.shape()).isEqualTo(ref.shape());
    assertThat(cand.toFloatArray()).containsExactly(ref.toFloatArray());
  }

  @Test
  void nchwCandidateIsPermutedToNhwcReference() {
    HostTensor ref = nhwc(2, 3, 4, 5, Layout.NHWC);
    HostTensor cand = nchw(2, 3, 4, 5, Layout.NCHW);
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, cand));
    assertThat(m.permutation()).containsExactly(0, 2, 3, 1);
    assertSameValues(ref, m.candidate());
    Metrics metrics = Metrics.of(ref, m.candidate(), new Tolerance(0, 0));
    assertThat(metrics.pass()).isTrue();
    assertThat(metrics.maxAbs()).isZero();
  }

  @Test
  void untaggedNchwCandidateIsPermutedToo() {
    HostTensor ref = nhwc(1, 3, 4, 5, Layout.NHWC);
    HostTensor cand = nchw(1, 3, 4, 5, Layout.ANY);
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, cand));
    assertThat(m.permutation()).containsExactly(0, 2, 3, 1);
    assertSameValues(ref, m.candidate());
  }

  @Test
  void nhwcCandidateIsPermutedToNchwReference() {
    HostTensor ref = nchw(1, 3, 4, 5, Layout.NCHW);
    HostTensor cand = nhwc(1, 3, 4, 5, Layout.NHWC);
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, cand));
    assertThat(m.permutation()).containsExactly(0, 3, 1, 2);
    assertSameValues(ref, m.candidate());
  }

  @Test
  void layoutTagsDecideWhenAllDimensionsAreEqual() {
    HostTensor ref = nhwc(1, 3, 3, 3, Layout.NHWC);
    HostTensor tagged = nchw(1, 3, 3, 3, Layout.NCHW);
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, tagged));
    assertThat(m.permutation()).containsExactly(0, 2, 3, 1);
    assertSameValues(ref, m.candidate());

    // Untagged, equal shapes: taken as is, and then the values differ (nothing could tell them apart)
    HostTensor untagged = nchw(1, 3, 3, 3, Layout.ANY);
    LayoutAligner.Matched asIs = matched(LayoutAligner.align(ref, untagged));
    assertThat(asIs.permutation()).isNull();
    assertThat(Metrics.of(ref, asIs.candidate(), Tolerance.DEFAULT).pass()).isFalse();
  }

  @Test
  void equalShapesAreTakenAsIs() {
    HostTensor ref = nhwc(1, 2, 3, 4, Layout.NHWC);
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, nhwc(1, 2, 3, 4, Layout.ANY)));
    assertThat(m.permutation()).isNull();
    assertSameValues(ref, m.candidate());
  }

  @Test
  void sizeOneAxesAreIgnored() {
    float[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    HostTensor ref = HostTensor.ofFloats(new int[] {1, 1, 1, 10}, Layout.NHWC, v);
    HostTensor cand = HostTensor.ofFloats(new int[] {1, 10}, Layout.ANY, v);
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, cand));
    assertThat(m.permutation()).isNull();
    assertThat(Metrics.of(ref, m.candidate(), new Tolerance(0, 0)).pass()).isTrue();
  }

  @Test
  void transposedMatrixIsFoundByPermutationSearch() {
    // ref [[1,2,3],[4,5,6]], cand its transpose [[1,4],[2,5],[3,6]]
    HostTensor ref = HostTensor.ofFloats(new int[] {2, 3}, Layout.ANY, new float[] {1, 2, 3, 4, 5, 6});
    HostTensor cand = HostTensor.ofFloats(new int[] {3, 2}, Layout.ANY, new float[] {1, 4, 2, 5, 3, 6});
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, cand));
    assertThat(m.permutation()).containsExactly(1, 0);
    assertThat(m.candidate().toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void permutationsThatDifferOnlyInSizeOneAxesCountAsOne() {
    // ref [1, 1, 3, 2, 5]; cand [5, 1, 2, 1, 3] holds cand[e][0][j][0][i] = ref[0][0][i][j][e]
    int[] rs = {1, 1, 3, 2, 5};
    float[] rv = new float[30];
    float[] cv = new float[30];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 2; j++) {
        for (int e = 0; e < 5; e++) {
          float val = 100 * i + 10 * j + e;
          rv[(i * 2 + j) * 5 + e] = val;
          cv[(e * 2 + j) * 3 + i] = val;
        }
      }
    }
    HostTensor ref = HostTensor.ofFloats(rs, Layout.ANY, rv);
    HostTensor cand = HostTensor.ofFloats(new int[] {5, 1, 2, 1, 3}, Layout.ANY, cv);
    LayoutAligner.Matched m = matched(LayoutAligner.align(ref, cand));
    assertThat(m.permutation()).containsExactly(1, 3, 4, 2, 0);
    assertSameValues(ref, m.candidate());
  }

  @Test
  void ambiguousPermutationIsAMismatch() {
    HostTensor ref = HostTensor.ofFloats(new int[] {2, 2, 3}, Layout.ANY, new float[12]);
    HostTensor cand = HostTensor.ofFloats(new int[] {3, 2, 2}, Layout.ANY, new float[12]);
    LayoutAligner.Result r = LayoutAligner.align(ref, cand);
    assertThat(r).isInstanceOf(LayoutAligner.Mismatch.class);
    assertThat(((LayoutAligner.Mismatch) r).reason()).contains("ambiguous").contains("[2, 2, 3]").contains("[3, 2, 2]");
  }

  @Test
  void differentElementCountsOrUnrelatedShapesAreMismatches() {
    HostTensor ref = HostTensor.ofFloats(new int[] {1, 2, 3}, Layout.ANY, new float[6]);
    LayoutAligner.Result counts = LayoutAligner.align(ref, HostTensor.ofFloats(new int[] {1, 2, 4}, Layout.ANY,
        new float[8]));
    assertThat(counts).isInstanceOf(LayoutAligner.Mismatch.class);
    assertThat(((LayoutAligner.Mismatch) counts).reason()).contains("element counts differ");

    LayoutAligner.Result rank = LayoutAligner.align(ref, HostTensor.ofFloats(new int[] {6}, Layout.ANY, new float[6]));
    assertThat(rank).isInstanceOf(LayoutAligner.Mismatch.class);

    LayoutAligner.Result none = LayoutAligner.align(HostTensor.ofFloats(new int[] {4, 6}, Layout.ANY, new float[24]),
        HostTensor.ofFloats(new int[] {3, 8}, Layout.ANY, new float[24]));
    assertThat(((LayoutAligner.Mismatch) none).reason()).contains("no axis permutation");
  }
}
