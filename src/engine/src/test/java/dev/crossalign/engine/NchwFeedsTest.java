package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** NchwFeeds against HostTensor.permute (the oracle: an element-at-a-time permutation) on shapes of every kind. */
class NchwFeedsTest {
  @Test
  void fourByteTensorsArePermutedIntoNativeMemoryExactly() {
    Random rnd = new Random(5);
    int[][] shapes = {{1, 7, 5, 3}, {2, 4, 6, 5}, {1, 1, 1, 1}, {1, 9, 1, 4}, {3, 1, 8, 1}, {1, 16, 16, 24}};
    for (int[] shape : shapes) {
      int n = Math.toIntExact(HostTensor.numel(shape));
      ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        b.putFloat(i * 4, rnd.nextFloat() * 2 - 1);
      }
      for (DType dtype : new DType[] {DType.FLOAT32, DType.INT32}) {
        for (Layout tag : new Layout[] {Layout.NHWC, Layout.ANY}) {
          HostTensor nhwc = HostTensor.wrap(dtype, shape, tag, b.duplicate());
          HostTensor got = NchwFeeds.of(nhwc);
          HostTensor want = nhwc.permute(Layout.nhwcToNchw(), Layout.NCHW);
          assertThat(got.data().isDirect()).isTrue();
          assertThat(got.layout()).isEqualTo(Layout.NCHW);
          assertThat(got.dtype()).isEqualTo(dtype);
          assertThat(got.shape()).isEqualTo(new int[] {shape[0], shape[3], shape[1], shape[2]});
          assertThat(got.data()).as("%s %s", java.util.Arrays.toString(shape), dtype).isEqualTo(want.data());
        }
      }
    }
  }

  @Test
  void otherTensorsGoThroughPermuteOrStayAsTheyAre() {
    byte[] bytes = new byte[2 * 3 * 4 * 5];
    new Random(3).nextBytes(bytes);
    HostTensor int8 = HostTensor.wrap(DType.INT8, new int[] {2, 3, 4, 5}, Layout.NHWC, ByteBuffer.wrap(bytes));
    HostTensor got = NchwFeeds.of(int8);
    assertThat(got.shape()).isEqualTo(new int[] {2, 5, 3, 4});
    assertThat(got.data()).isEqualTo(int8.permute(Layout.nhwcToNchw(), Layout.NCHW).data());
    HostTensor nchw = HostTensor.ofFloats(new int[] {1, 2, 2, 2}, Layout.NCHW, new float[] {1, 2, 3, 4, 5, 6, 7, 8});
    assertThat(NchwFeeds.of(nchw)).isSameAs(nchw);
    HostTensor vector = HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {1, 2, 3, 4});
    assertThat(NchwFeeds.of(vector)).isSameAs(vector);
    HostTensor empty = HostTensor.ofFloats(new int[] {1, 0, 3, 2}, Layout.NHWC, new float[0]);
    assertThat(NchwFeeds.of(empty).shape()).isEqualTo(new int[] {1, 2, 0, 3});
  }
}
