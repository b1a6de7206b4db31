package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteOracle;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sparse encoder against a published model: every sparse weight of MediaPipe's full-range sparse face detector
 * is densified by the real interpreter (DENSIFY output), re-encoded by the writer with the model's own traversal and
 * dimension formats, and must come out as the same segments, indices and stored values the converter wrote.
 */
class TfliteWriterRealModelTest {

  @Test
  void sparseEncodingMatchesTheConvertersOnARealModel() throws Exception {
    byte[] bytes = java.nio.file.Files.readAllBytes(TestModels.require("face_detection_full_range_sparse.tflite"));
    TfliteModel model = TfliteModel.read(bytes, "face_detection_full_range_sparse");
    Subgraph sg = model.main();
    int input = sg.inputs()[0];
    int[] inShape = sg.tensor(input).shape();
    Map<Integer, HostTensor> activations =
        TfliteOracle.run(
            bytes,
            Map.of(
                input,
                HostTensor.ofFloats(inShape, Layout.NHWC, new float[(int) HostTensor.numel(inShape)])));

    int checked = 0;
    for (Operator op : sg.operators()) {
      if (op.builtin() != BuiltinOp.DENSIFY) {
        continue;
      }
      TensorInfo sparse = sg.tensor(op.inputs()[0]);
      Sparsity want = sparse.sparsity();
      assertThat(want).as("DENSIFY input %s is sparse", sparse.name()).isNotNull();
      HostTensor dense = activations.get(op.outputs()[0]);
      assertThat(dense).as("DENSIFY output of %s", sparse.name()).isNotNull();
      assertThat(dense.shape()).containsExactly(sparse.shape());

      int m = want.traversalOrder().length;
      boolean[] sparseDims = new boolean[m];
      for (int l = 0; l < m; l++) {
        sparseDims[want.traversalOrder()[l]] = want.dimMetadata().get(l).sparse();
      }
      int[] blockSize = new int[want.blockMap().length];
      for (int i = 0; i < blockSize.length; i++) {
        blockSize[i] = want.dimMetadata().get(want.traversalOrder().length - blockSize.length + i).denseSize();
      }
      TfliteWriter w = new TfliteWriter();
      int s =
          w.sparseConstant(
              sparse.name(), dense.withLayout(Layout.ANY), want.traversalOrder(), want.blockMap(), sparseDims,
              blockSize);
      int y = w.tensor("dense", sparse.type(), sparse.shape());
      w.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {s}, new int[] {y});
      TfliteModel mine = w.buildModel();
      TensorInfo got = mine.main().tensor(s);

      assertThat(got.type()).isEqualTo(sparse.type());
      assertThat(got.sparsity().traversalOrder()).containsExactly(want.traversalOrder());
      assertThat(got.sparsity().blockMap()).containsExactly(want.blockMap());
      for (int l = 0; l < m; l++) {
        Sparsity.DimensionMetadata a = got.sparsity().dimMetadata().get(l);
        Sparsity.DimensionMetadata b = want.dimMetadata().get(l);
        assertThat(a.sparse()).as("%s level %d format", sparse.name(), l).isEqualTo(b.sparse());
        if (!b.sparse()) {
          assertThat(a.denseSize()).as("%s level %d size", sparse.name(), l).isEqualTo(b.denseSize());
        }
        assertThat(a.arraySegments()).as("%s level %d segments", sparse.name(), l).containsExactly(b.arraySegments());
        assertThat(a.arrayIndices()).as("%s level %d indices", sparse.name(), l).containsExactly(b.arrayIndices());
      }
      ByteBuffer gotValues = mine.bufferData(got.buffer());
      ByteBuffer wantValues = model.bufferData(sparse.buffer());
      assertThat(gotValues).as("%s stored values", sparse.name()).isEqualTo(wantValues);
      checked++;
    }
    assertThat(checked).as("sparse weights compared").isEqualTo(46);
    assertThat(sg.tensor(sg.operators().stream().filter(o -> o.builtin() == BuiltinOp.DENSIFY).findFirst()
            .orElseThrow().inputs()[0]).type().dtype()).isEqualTo(DType.FLOAT16);
  }
}
