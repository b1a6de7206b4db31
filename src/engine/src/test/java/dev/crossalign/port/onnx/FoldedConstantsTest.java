package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.Binary16;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The export's folded constants (face_detection_short_range: 74 float16 DEQUANTIZE outputs) are made again for each
 * reader and not kept by the export's context (issue 16: kept, pose_landmark_heavy's held 53 MB of heap for the whole
 * of each export, the isolated one overlapping the port's chained run). Each read is the float16 weight widened,
 * element by element ({@link Binary16}).
 */
class FoldedConstantsTest {
  @Test
  void aFoldedConstantIsMadeForItsReaderAndNotKept() throws InterruptedException {
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    ExportContext ctx = new ExportContext(model, new OnnxGraphBuilder("t"));
    int folded = 0;
    WeakReference<HostTensor> handed = null;
    for (Operator op : model.main().operators()) {
      if (op.builtin() != BuiltinOp.DEQUANTIZE) {
        continue;
      }
      assertThat(ConstantFolder.tryFold(ctx, op)).isTrue();
      int out = op.outputs()[0];
      HostTensor half = model.constant(model.main().tensor(op.inputs()[0]));
      assertThat(half.dtype()).isEqualTo(DType.FLOAT16);
      HostTensor value = ctx.constant(out);
      assertThat(ctx.isConst(out)).isTrue();
      assertThat(value.dtype()).isEqualTo(DType.FLOAT32);
      assertThat(value.shape()).isEqualTo(half.shape());
      ByteBuffer h = half.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer f = value.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < half.numel(); i++) {
        assertThat(f.getInt(f.position() + 4 * i))
            .isEqualTo(Binary16.widenedBits(h.getShort(h.position() + 2 * i) & 0xffff));
      }
      assertThat(ctx.constant(out)).isNotSameAs(value); // made again for the next reader
      if (handed == null) {
        handed = new WeakReference<>(value);
      }
      folded++;
    }
    assertThat(folded).isEqualTo(74);
    for (int i = 0; i < 20 && handed.get() != null; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertThat(handed.get()).as("the export's context still holds a folded value").isNull();
    Reference.reachabilityFence(ctx);
  }
}
