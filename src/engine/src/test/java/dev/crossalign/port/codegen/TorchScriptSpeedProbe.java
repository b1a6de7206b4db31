package dev.crossalign.port.codegen;

import dev.crossalign.backend.*;
import dev.crossalign.port.*;
import dev.crossalign.tensor.*;
import dev.crossalign.tflite.*;
import java.util.*;
/**
 * Not a test: a probe that times the per-op eager port against the generated module compiled by libtorch's
 * TorchScript compiler (whole graph in one native call), interleaved, one intra-op thread, medians. Run with
 * {@code java -cp target/classes:target/test-classes:target/lib/* dev.crossalign.port.codegen.TorchScriptSpeedProbe
 * MODEL.tflite ROUNDS} (OPENBLAS_NUM_THREADS=1).
 */
public final class TorchScriptSpeedProbe { public static void main(String[] a) throws Exception {
  org.bytedeco.pytorch.global.torch.set_num_threads(1);
  TfliteModel m = TfliteModel.read(java.nio.file.Path.of(a[0]));
  Map<String, HostTensor> in = new LinkedHashMap<>();
  SplittableRandom r = new SplittableRandom(1);
  for (int idx : m.main().inputs()) { TensorInfo t = m.main().tensor(idx); float[] v = new float[(int) HostTensor.numel(t.shape())];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextDouble(); in.put(t.name(), HostTensor.ofFloats(t.shape(), Layout.NHWC, v)); }
  GeneratedModel g = PyGenerator.generate(m, OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC);
  int rounds = Integer.parseInt(a[1]);
  try (PortBackend port = PortBackend.open(m, Device.CPU, DeterminismConfig.DETERMINISTIC); TorchScriptModule ts = TorchScriptModule.compile(g)) {
    for (int i = 0; i < 3; i++) { port.run(in, false); ts.run(in, false); }
    long[] pe = new long[rounds], te = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime(); port.run(in, false); long t1 = System.nanoTime(); ts.run(in, false); long t2 = System.nanoTime();
      pe[i] = t1 - t0; te[i] = t2 - t1; }
    Arrays.sort(pe); Arrays.sort(te);
    System.out.printf("%s per-op eager port median %.2f ms, TorchScript whole-graph median %.2f ms, ratio %.2f%n", a[0], pe[rounds/2]/1e6, te[rounds/2]/1e6, (double) te[rounds/2]/pe[rounds/2]);
  }
}}
