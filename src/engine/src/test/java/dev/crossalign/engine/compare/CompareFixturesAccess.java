package dev.crossalign.engine.compare;

import dev.crossalign.tensor.HostTensor;

/** The fixture weights, for tests in other packages. */
public final class CompareFixturesAccess {
  private CompareFixturesAccess() {}

  public static HostTensor w2() {
    return CompareFixtures.W2;
  }

  public static HostTensor rnd(long seed, int... shape) {
    return CompareFixtures.rnd(seed, shape);
  }
}
