package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The size bound of every tensor, declared or derived ({@link TensorSizes}): no real model is refused; a declared or
 * derived tensor over 2 GiB is refused when the model is read, naming the model, op and tensor (release fuzz case t941
 * computed a 2 GiB port tensor for 130 s first); and the derived shapes are the ones TFLite's own Prepare computes
 * (the real interpreter as the oracle, on small models whose files declare a wrong output shape).
 */
class TensorSizesTest {
  static Stream<Path> realModels() throws Exception {
    Path extra = TestModels.modelsDir().resolveSibling("extra");
    try (Stream<Path> a = Files.list(TestModels.modelsDir());
        Stream<Path> b = Files.isDirectory(extra) ? Files.list(extra) : Stream.empty()) {
      return Stream.concat(a.toList().stream(), b.toList().stream())
          .filter(p -> p.getFileName().toString().endsWith(".tflite")).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("realModels")
  void noRealModelIsRefused(Path model) {
    // read runs the check; the largest derived tensor of each real model is far below the bound
    assertThatCode(() -> TfliteModel.read(model)).doesNotThrowAnyException();
  }

  private static String refusal(TfliteWriter w) {
    CrossalignException e = catchThrowableOfType(() -> TfliteModel.read(w.build(), "big.tflite"),
        CrossalignException.class);
    assertThat(e).as("refused").isNotNull();
    assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT);
    assertThat(e.getMessage()).startsWith("model big.tflite: ").doesNotContain("\n");
    return e.getMessage();
  }

  private static int ints(TfliteWriter w, String name, int[] shape, int... v) {
    return w.constant(name, HostTensor.ofInts(shape, Layout.ANY, v));
  }

  /** PAD of [1, 8, 8, 8] by {@code last} on the last axis; the file declares the output [1, 8, 8, declared]. */
  private static TfliteWriter pad(int last, int declared) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 8, 8, 8);
    int p = ints(w, "paddings", new int[] {4, 2}, 0, 0, 0, 0, 0, 0, 0, last);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, declared);
    w.op(BuiltinOp.PAD, new OpOptions.None(), new int[] {x, p}, new int[] {y});
    return w.outputs(y);
  }

  @Test
  void aDerivedTensorOverTwoGibIsRefusedNamingModelOpAndTensor() {
    // [1, 8, 8, 8 + 8388600] float32 = 2^31 bytes, 9 more than a host tensor holds
    assertThat(refusal(pad(8_388_600, 8))).isEqualTo("model big.tflite: op #0 PAD output 0 'y' would have shape"
        + " [1, 8, 8, 8388608] of FLOAT32 (the file declares [1, 8, 8, 8]): 2147483648 bytes, more than the"
        + " 2147483639 one tensor may hold");
    // one element fewer on that axis fits (2147483392 bytes): the bound is the host tensor's, not a guess
    assertThatCode(() -> TfliteModel.read(pad(8_388_599, 8_388_607).build(), "big.tflite")).doesNotThrowAnyException();
  }

  @Test
  void aDeclaredTensorOverTwoGibIsRefused() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 8);
    int y = w.tensor("huge", TensorType.FLOAT32, 1 << 29); // 2^31 bytes, elements within the reader's 2^31-1
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {x}, new int[] {y});
    w.outputs(y);
    assertThat(refusal(w)).isEqualTo("model big.tflite: tensor 1 'huge', output of op #0 RELU declares shape"
        + " [536870912] of FLOAT32: 2147483648 bytes, more than the 2147483639 one tensor may hold");
  }

  @Test
  void derivedSizesSaturateInsteadOfOverflowing() {
    // TILE by 2^31-1 on each of 4 axes: 2^124 elements would wrap a long to a small or negative size
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 2, 2, 2, 2);
    int m = ints(w, "multiples", new int[] {4}, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
        Integer.MAX_VALUE);
    int y = w.tensor("y", TensorType.FLOAT32, 2, 2, 2, 2);
    w.op(BuiltinOp.TILE, new OpOptions.None(), new int[] {x, m}, new int[] {y});
    w.outputs(y);
    assertThat(refusal(w)).contains("op #0 TILE output 0 'y' would have shape [4294967294, 4294967294,"
        + " 4294967294, 4294967294]").contains(Long.MAX_VALUE + " bytes");
  }

  /** One small op whose file declares no output shape: what DerivedShapes says, what TFLite's Prepare makes. */
  record Case(String name, Function<TfliteWriter, int[]> build) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> derivedCases() {
    return List.of(
        new Case("PAD", w -> {
          int x = w.input("x", TensorType.FLOAT32, 1, 3, 2, 2);
          return new int[] {x, ints(w, "p", new int[] {4, 2}, 0, 1, 2, 3, 0, 0, 1, 0)};
        }),
        new Case("TILE", w -> {
          int x = w.input("x", TensorType.FLOAT32, 2, 3);
          return new int[] {x, ints(w, "m", new int[] {2}, 3, 2)};
        }),
        new Case("RESIZE_BILINEAR", w -> {
          int x = w.input("x", TensorType.FLOAT32, 1, 2, 3, 2);
          return new int[] {x, ints(w, "s", new int[] {2}, 5, 7)};
        }),
        new Case("BROADCAST_TO", w -> {
          int x = w.input("x", TensorType.FLOAT32, 3, 1);
          return new int[] {x, ints(w, "s", new int[] {3}, 2, 3, 4)};
        }),
        new Case("MUL", w -> new int[] {w.input("a", TensorType.FLOAT32, 4, 1, 3),
            w.input("b", TensorType.FLOAT32, 5, 1)}),
        new Case("CONCATENATION", w -> new int[] {w.input("a", TensorType.FLOAT32, 2, 3),
            w.input("b", TensorType.FLOAT32, 2, 4)}),
        new Case("DEPTHWISE_CONV_2D", w -> {
          int x = w.input("x", TensorType.FLOAT32, 1, 9, 8, 2);
          int f = w.constant("f", HostTensor.ofFloats(new int[] {1, 3, 2, 4}, Layout.ANY, new float[24]));
          int b = w.constant("b", HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[4]));
          return new int[] {x, f, b};
        }),
        new Case("STRIDED_SLICE", w -> {
          int x = w.input("x", TensorType.FLOAT32, 2, 5, 6, 3);
          return new int[] {x, ints(w, "b", new int[] {4}, 1, 1, -1, 0), ints(w, "e", new int[] {4}, 2, 5, 0, 3),
              ints(w, "s", new int[] {4}, 1, 2, -2, 1)};
        }),
        new Case("SLICE", w -> {
          int x = w.input("x", TensorType.FLOAT32, 3, 4, 5);
          return new int[] {x, ints(w, "b", new int[] {3}, 1, 0, 2), ints(w, "s", new int[] {3}, 2, -1, 3)};
        }),
        new Case("ONE_HOT", w -> {
          int i = ints(w, "indices", new int[] {2, 3}, 0, 1, 2, 3, 4, -1);
          int d = ints(w, "depth", new int[] {}, 4);
          return new int[] {i, d, w.input("on", TensorType.FLOAT32), w.input("off", TensorType.FLOAT32)};
        }),
        new Case("MEAN", w -> new int[] {w.input("x", TensorType.FLOAT32, 2, 3, 4), ints(w, "a", new int[] {3}, -1, 1,
            1)}),
        new Case("SUM", w -> new int[] {w.input("x", TensorType.FLOAT32, 2, 3, 4), ints(w, "a", new int[] {1}, 0)}),
        new Case("CONV_2D", w -> {
          int x = w.input("x", TensorType.FLOAT32, 1, 5, 7, 2);
          int f = w.constant("f", HostTensor.ofFloats(new int[] {6, 3, 3, 2}, Layout.ANY, new float[6 * 3 * 3 * 2]));
          int b = w.constant("b", HostTensor.ofFloats(new int[] {6}, Layout.ANY, new float[6]));
          return new int[] {x, f, b};
        }));
  }

  private static OpOptions options(String op) {
    return switch (op) {
      case "CONCATENATION" -> new OpOptions.Concatenation(1, Activation.NONE);
      case "CONV_2D" -> new OpOptions.Conv2D(Padding.SAME, 2, 3, Activation.NONE, 1, 1);
      case "DEPTHWISE_CONV_2D" -> new OpOptions.DepthwiseConv2D(Padding.VALID, 1, 2, 2, Activation.NONE, 2, 2);
      case "MUL" -> new OpOptions.Arithmetic(21, Activation.NONE);
      case "RESIZE_BILINEAR" -> new OpOptions.ResizeBilinear(false, false);
      // axis 0 shrunk (element 1), axis 3 to its end
      case "STRIDED_SLICE" -> new OpOptions.StridedSlice(0, 0b1000, 0, 0, 0b0001, false);
      case "ONE_HOT" -> new OpOptions.OneHot(1);
      case "MEAN" -> new OpOptions.Reducer(false);
      case "SUM" -> new OpOptions.Reducer(true);
      default -> new OpOptions.None();
    };
  }

  @ParameterizedTest
  @MethodSource("derivedCases")
  void derivedShapesAreTflitesOwn(Case c) {
    TfliteWriter w = new TfliteWriter();
    int[] in = c.build().apply(w);
    int y = w.tensor("y", TensorType.FLOAT32); // no declared shape: TFLite's Prepare sizes it
    BuiltinOp op = BuiltinOp.valueOf(c.name());
    w.op(op, options(c.name()), op == BuiltinOp.BROADCAST_TO ? 2 : 1, in, new int[] {y});
    w.outputs(y);
    byte[] bytes = w.build();
    TfliteModel m = TfliteModel.read(bytes, "small.tflite");
    long[] derived = DerivedShapes.of(m, m.main(), m.main().operators().get(0));

    Map<Integer, HostTensor> feeds = new HashMap<>();
    for (int i : m.main().inputs()) {
      feeds.put(i, HostTensor.ofFloats(m.main().tensor(i).shape(), Layout.ANY,
          new float[(int) HostTensor.numel(m.main().tensor(i).shape())]));
    }
    int[] tflite = TfliteOracle.run(bytes, feeds).get(y).shape();
    assertThat(derived).as(c.name()).containsExactly(Arrays.stream(tflite).asLongStream().toArray());
    assertThat(DerivedShapes.exact(m, m.main(), m.main().operators().get(0))).as(c.name()).isEqualTo(derived);
  }

  @Test
  void aDeclaredShapeItsInputsDoNotMakeIsRefused() {
    // release fuzz (values family): a PAD whose paddings add 3 to the batch, declared [1, ...]; the port took the
    // declared shape downstream and validate said MISALIGNED (exit 1) for a file that lies
    assertThat(refusal(padBatchByThree(1, 4, 4, 2))).isEqualTo("model big.tflite: op #0 PAD output 0 'y' is declared [1, 4, 4, 2], its inputs"
        + " make [4, 4, 4, 2] (TFLite resizes it when it runs; the port, its PyTorch code and ONNX export take the"
        + " declared shapes)");
    // declared as made: read
    TfliteWriter ok = padBatchByThree(4, 4, 4, 2);
    assertThatCode(() -> TfliteModel.read(ok.build(), "ok.tflite")).doesNotThrowAnyException();
  }

  /** PAD of x [1, 4, 4, 2] whose paddings add 3 to the batch (it makes [4, 4, 4, 2]), output y declared as given. */
  private static TfliteWriter padBatchByThree(int... declared) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 2);
    int p = ints(w, "paddings", new int[] {4, 2}, 0, 3, 0, 0, 0, 0, 0, 0);
    int y = w.tensor("y", TensorType.FLOAT32, declared);
    w.op(BuiltinOp.PAD, new OpOptions.None(), new int[] {x, p}, new int[] {y});
    w.outputs(y);
    return w;
  }

  /** One op on x [2, 5, 6, 3] (STRIDED_SLICE, SLICE) or constant indices [2, 3] (ONE_HOT), output declared. */
  private static TfliteWriter sliceModel(BuiltinOp op, OpOptions o, int[] a, int[] b, int[] c, int... declared) {
    TfliteWriter w = new TfliteWriter();
    int x = op == BuiltinOp.ONE_HOT ? ints(w, "indices", new int[] {2, 3}, 0, 1, 2, 3, 4, -1)
        : w.input("x", TensorType.FLOAT32, 2, 5, 6, 3);
    int[] in = op == BuiltinOp.ONE_HOT
        ? new int[] {x, ints(w, "depth", new int[] {}, a), w.input("on", TensorType.FLOAT32),
          w.input("off", TensorType.FLOAT32)}
        : c == null ? new int[] {x, ints(w, "begin", new int[] {4}, a), ints(w, "size", new int[] {4}, b)}
        : new int[] {x, ints(w, "begin", new int[] {4}, a), ints(w, "end", new int[] {4}, b),
          ints(w, "strides", new int[] {4}, c)};
    int y = w.tensor("y", TensorType.FLOAT32, declared);
    w.op(op, o, in, new int[] {y});
    return w.outputs(y);
  }

  @Test
  void slicesAndOneHotMustDeclareTheShapeTheirInputsMake() {
    OpOptions.StridedSlice none = new OpOptions.StridedSlice(0, 0, 0, 0, 0, false);
    int[] begin = {0, 1, 0, 0};
    int[] end = {2, 5, 6, 3};
    assertThat(refusal(sliceModel(BuiltinOp.STRIDED_SLICE, none, begin, end, new int[] {1, 2, 3, 1}, 2, 2, 3, 3)))
        .isEqualTo("model big.tflite: op #0 STRIDED_SLICE output 0 'y' is declared [2, 2, 3, 3], its inputs make"
            + " [2, 2, 2, 3] (TFLite resizes it when it runs; the port, its PyTorch code and ONNX export take the"
            + " declared shapes)");
    assertThat(refusal(sliceModel(BuiltinOp.STRIDED_SLICE, none, begin, end, new int[] {1, 0, 1, 1}, 2, 4, 6, 3)))
        .isEqualTo("model big.tflite: op #0 STRIDED_SLICE input 3 (tensor 3 'strides') holds strides [1, 0, 1, 1]:"
            + " TFLite's kernel takes no stride of 0");
    assertThat(refusal(sliceModel(BuiltinOp.SLICE, new OpOptions.None(), new int[] {0, 1, 2, 0},
        new int[] {-1, 2, -1, 3}, null, 2, 2, 4, 2))).contains("op #0 SLICE output 0 'y' is declared [2, 2, 4, 2],"
            + " its inputs make [2, 2, 4, 3]");
    assertThat(refusal(sliceModel(BuiltinOp.SLICE, new OpOptions.None(), new int[] {0, 4, 0, 0},
        new int[] {-1, 2, -1, -1}, null, 2, 2, 6, 3))).isEqualTo("model big.tflite: op #0 SLICE input 1 (tensor 1"
            + " 'begin') and input 2 (tensor 2 'size'): begin [0, 4, 0, 0] and size [-1, 2, -1, -1] reach past input"
            + " 0's shape [2, 5, 6, 3]: TFLite's kernel refuses them");
    assertThat(refusal(sliceModel(BuiltinOp.ONE_HOT, new OpOptions.OneHot(-1), new int[] {4}, null, null, 2, 4, 3)))
        .contains("op #0 ONE_HOT output 0 'y' is declared [2, 4, 3], its inputs make [2, 3, 4]");
    assertThat(refusal(sliceModel(BuiltinOp.ONE_HOT, new OpOptions.OneHot(1), new int[] {-2}, null, null, 2, 4, 3)))
        .isEqualTo("model big.tflite: op #0 ONE_HOT input 1 (tensor 1 'depth') holds depth -2: TFLite's kernel takes"
            + " 0 or more");
    assertThat(refusal(sliceModel(BuiltinOp.ONE_HOT, new OpOptions.OneHot(3), new int[] {4}, null, null, 2, 3, 4)))
        .contains("op #0 ONE_HOT has axis 3: TFLite's kernel takes -1 or 0 to 2");
    // declared as made: read
    assertThatCode(() -> TfliteModel.read(sliceModel(BuiltinOp.STRIDED_SLICE, none, begin, end,
        new int[] {1, 2, 3, 1}, 2, 2, 2, 3).build(), "ok.tflite")).doesNotThrowAnyException();
    assertThatCode(() -> TfliteModel.read(sliceModel(BuiltinOp.ONE_HOT, new OpOptions.OneHot(1), new int[] {4}, null,
        null, 2, 4, 3).build(), "ok.tflite")).doesNotThrowAnyException();
  }

  /** RESHAPE of x [2, 3] to a constant INT32 shape; the file declares no output shape. */
  private static TfliteWriter reshape(int... shape) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 2, 3);
    int s = ints(w, "shape", new int[] {shape.length}, shape);
    int y = w.tensor("y", TensorType.FLOAT32);
    w.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, s}, new int[] {y});
    return w.outputs(y);
  }

  @Test
  void aReshapeToAnotherNumberOfElementsIsRefusedAsTfliteRefusesIt() {
    Map<Integer, HostTensor> feeds = Map.of(0, HostTensor.ofFloats(new int[] {2, 3}, Layout.ANY, new float[6]));
    for (int[] shape : new int[][] {{4}, {-1, -1}, {4, -1}, {0, -1}}) {
      TfliteWriter w = reshape(shape);
      assertThat(refusal(w)).isEqualTo("model big.tflite: op #0 RESHAPE input 1 (tensor 1 'shape') holds shape "
          + Arrays.toString(shape) + ", input 0 [2, 3] has 6 elements: TFLite's kernel refuses it");
      if (shape[0] != 0) { // TFLite divides by the 0 (SIGFPE): not run
        assertThatThrownBy(() -> TfliteOracle.run(w.build(), feeds)).as(Arrays.toString(shape))
            .isInstanceOf(IllegalStateException.class);
      }
    }
    for (int[] shape : new int[][] {{3, -1}, {6}, {1, 2, 3}}) {
      assertThat(TfliteOracle.run(reshape(shape).build(), feeds).get(2).numel()).isEqualTo(6);
      assertThatCode(() -> TfliteModel.read(reshape(shape).build(), "ok.tflite")).doesNotThrowAnyException();
    }
  }

  /** MEAN of x [2, 3, 4] over constant axes, keep_dims as given; the file declares the output. */
  private static TfliteWriter mean(boolean keep, int[] axes, int... declared) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 2, 3, 4);
    int a = ints(w, "axes", new int[] {axes.length}, axes);
    int y = w.tensor("y", TensorType.FLOAT32, declared);
    w.op(BuiltinOp.MEAN, new OpOptions.Reducer(keep), new int[] {x, a}, new int[] {y});
    return w.outputs(y);
  }

  @Test
  void aReductionMustDeclareTheShapeItsAxesLeave() {
    // release fuzz (values family, MEAN's axis mutated): TFLite reduced another axis, the conv after it met other
    // channels than the file declares
    assertThat(refusal(mean(true, new int[] {1}, 2, 3, 1))).isEqualTo("model big.tflite: op #0 MEAN output 0 'y' is"
        + " declared [2, 3, 1], its inputs make [2, 1, 4] (TFLite resizes it when it runs; the port, its PyTorch code"
        + " and ONNX export take the declared shapes)");
    assertThat(refusal(mean(false, new int[] {3}, 2, 3))).isEqualTo("model big.tflite: op #0 MEAN input 1 (tensor 1"
        + " 'axes') holds axes [3]: axis 3 is out of range for rank 3 (input 0 [2, 3, 4]): TFLite's kernel refuses it");
    assertThatThrownBy(() -> TfliteOracle.run(mean(false, new int[] {3}, 2, 3).build(), Map.of(0,
        HostTensor.ofFloats(new int[] {2, 3, 4}, Layout.ANY, new float[24])))).isInstanceOf(IllegalStateException.class);
    assertThatCode(() -> TfliteModel.read(mean(false, new int[] {-3, 2}, 3).build(), "ok.tflite"))
        .doesNotThrowAnyException();
  }
}
