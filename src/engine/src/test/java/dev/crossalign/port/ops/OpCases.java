package dev.crossalign.port.ops;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.RandomTensors;

/** Shared pieces of the writer-built op tests: seeded weights, and the harness call that logs the worst error. */
final class OpCases {
  private OpCases() {}

  /** fp32 agreement bound for ops that only re-order, gather or accumulate a few dozen products. */
  static final double ATOL = 1e-5;

  static HostTensor randomFloats(long seed, int... shape) {
    return RandomTensors.uniform(seed, Layout.ANY, -1, 1, shape);
  }

  static HostTensor ints(int[] shape, int... values) {
    return HostTensor.ofInts(shape, Layout.ANY, values);
  }

  /** Runs the interpreter and the port on inputs in [-2, 2) and asserts agreement; prints the worst error. */
  static double check(String op, String caseName, byte[] model, double atol) {
    PortHarness.Result r = PortHarness.assertAligned(model, 42, -2, 2, atol);
    System.out.printf("WORST %s %s %.3g%n", op, caseName, r.worst());
    return r.worst();
  }
}
