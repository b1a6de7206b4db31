package dev.crossalign.engine;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * The reference's rank-4 tensors (TFLite's NHWC axes) as the NCHW feeds of the isolated ONNX form, which takes its
 * rank-4 inputs NCHW ({@code ExportOptions.InputLayout.NCHW}) instead of transposing each in ONNX Runtime. A 4-byte
 * tensor is permuted in one pass, a pixel row at a time, straight into native memory (a direct buffer, which ONNX
 * Runtime reads without another copy); other element sizes go through {@link HostTensor#permute}. The permutation is
 * exact, so the values an op reads are bit for bit the ones an ONNX Transpose would have given it.
 */
final class NchwFeeds {
  private NchwFeeds() {}

  /** {@code t} as a feed of an NCHW input: as it is when already NCHW, else permuted from TFLite's axes. */
  static HostTensor of(HostTensor t) {
    if (t.rank() != 4 || t.layout() == Layout.NCHW) {
      return t;
    }
    if (t.dtype().byteSize() != 4 || HostTensor.numel(t.shape()) == 0) {
      return t.permute(Layout.nhwcToNchw(), Layout.NCHW);
    }
    int[] s = t.shape();
    int n = s[0];
    int h = s[1];
    int w = s[2];
    int c = s[3];
    IntBuffer src = t.data().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    ByteBuffer out = ByteBuffer.allocateDirect(Math.multiplyExact(src.remaining(), 4)).order(ByteOrder.LITTLE_ENDIAN);
    IntBuffer dst = out.asIntBuffer();
    int[] row = new int[w * c];
    int[] planes = new int[c * w];
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < h; y++) {
        src.get((b * h + y) * w * c, row);
        for (int x = 0; x < w; x++) {
          int from = x * c;
          for (int ch = 0; ch < c; ch++) {
            planes[ch * w + x] = row[from + ch];
          }
        }
        for (int ch = 0; ch < c; ch++) {
          dst.put(((b * c + ch) * h + y) * w, planes, ch * w, w);
        }
      }
    }
    return HostTensor.wrap(t.dtype(), new int[] {n, c, h, w}, Layout.NCHW, out);
  }
}
