package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.port.ops.FusedActivation;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plug-in SPI, and the engine's reason to exist: a port that uses PyTorch's naive padding=k//2 for CONV_2D keeps
 * every shape and is found out, in isolated mode, at exactly the convs whose TF SAME padding is asymmetric.
 */
class PluginAndMisalignmentTest {
  @TempDir Path dir;

  /** A hand port's CONV_2D: symmetric padding k//2, as nn.Conv2d(padding=k//2) would do. */
  public static final class NaiveConv2d implements OpLowering {
    @Override
    public Set<String> opNames() {
      return Set.of("CONV_2D");
    }

    @Override
    public int rank() {
      return 100;
    }

    @Override
    public LoweredOp lower(LoweringContext ctx) {
      OpOptions.Conv2D o = (OpOptions.Conv2D) ctx.op().options();
      Tensor w = ctx.prepared(ctx.constant(1).permute(0, 3, 1, 2));
      Tensor b = ctx.prepared(ctx.constant(2));
      int k = ctx.input(1).shape()[1];
      return in -> {
        Tensor y = torch.conv2d(in[0].nchwTensor(), w, new TensorOptional(b), new long[] {o.strideH(), o.strideW()},
            new long[] {k / 2, k / 2}, new long[] {1, 1}, 1);
        return new PortValue[] {PortValue.nchw(FusedActivation.apply(y, o.activation()))};
      };
    }
  }

  @Test
  void naivePaddingIsPinpointedToTheAsymmetricConvsInIsolatedMode() {
    TfliteModel model = TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
    Activations ref;
    try (TfliteBackend t = TfliteBackend.open(model.bytes(), "demo", TfliteOptions.defaults())) {
      ref = t.run(inputs);
    }
    OpRegistry naive = OpRegistry.load().with(new NaiveConv2d());
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC, naive)) {
      List<Comparison> isolated = Aligner.compare(ref, port.runIsolated(ref), Mode.ISOLATED, Tolerance.DEFAULT);
      AlignmentResult r = AlignmentResult.of("demo", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"), isolated,
          List.of(), List.of(), Map.of(), Map.of());
      assertThat(r.firstDivergence().name()).isEqualTo("conv0_k5s2");
      assertThat(r.firstDivergence().metrics().maxAbs()).isGreaterThan(0.1);
      // 1x1 convs have no padding: the naive port is right there, and isolated mode says so
      for (Comparison c : isolated) {
        if (c.name().endsWith("/project") || c.name().equals("head/classifier")) {
          assertThat(c.passed()).as(c.name()).isTrue();
        }
        if (!c.op().equals("CONV_2D")) {
          assertThat(c.passed()).as("isolated mode keeps the error at its own layer: " + c.name()).isTrue();
        }
      }
    }
  }

  @Test
  void pluginsAreFoundThroughServiceLoader() throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve(OpLowering.class.getName()), NaiveConv2d.class.getName() + "\n");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      OpRegistry registry = OpRegistry.load(loader);
      assertThat(registry.find("CONV_2D")).isInstanceOf(NaiveConv2d.class);
      assertThat(registry.find("DEPTHWISE_CONV_2D")).isNotNull();
    }
    assertThat(OpRegistry.load().find("CONV_2D")).isNotInstanceOf(NaiveConv2d.class);
  }
}
