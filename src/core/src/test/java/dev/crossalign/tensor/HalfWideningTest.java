package dev.crossalign.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.Binary16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * float16 -> float32 widening (the table {@link Half#toFloat} reads, and {@link HostTensor#toFloat32}'s block path)
 * against IEEE 754's definition of binary16 ({@link Binary16}).
 */
class HalfWideningTest {
  @Test
  void everyHalfWidensToItsIeeeValue() {
    for (int h = 0; h < 1 << 16; h++) {
      assertThat(Float.floatToRawIntBits(Half.toFloat((short) h))).as("half 0x%04x", h).isEqualTo(Binary16.widenedBits(h));
    }
  }

  /** Sizes around the 8192-element block, from a buffer that starts inside a larger one (a view of a model file). */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 8191, 8192, 8193, 65536 + 5})
  void aFloat16TensorWidensElementByElement(int n) {
    ByteBuffer file = ByteBuffer.allocate(6 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      file.putShort(6 + 2 * i, (short) (i * 7919)); // every pattern, in an order blocks do not line up with
    }
    ByteBuffer view = file.position(6).slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
    HostTensor half = HostTensor.wrap(DType.FLOAT16, new int[] {1, n}, Layout.NHWC, view);
    HostTensor wide = half.toFloat32();
    assertThat(wide.dtype()).isEqualTo(DType.FLOAT32);
    assertThat(wide.shape()).isEqualTo(new int[] {1, n});
    assertThat(wide.layout()).isEqualTo(Layout.NHWC);
    ByteBuffer d = wide.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(d.remaining()).isEqualTo(4 * n);
    for (int i = 0; i < n; i++) {
      assertThat(d.getInt(d.position() + 4 * i)).as("element %d", i).isEqualTo(Binary16.widenedBits((i * 7919) & 0xffff));
    }
    assertThat(half.toFloatArray()).hasSize(n); // the other widening agrees in count (its values: the table's)
  }
}
