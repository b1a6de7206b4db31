package dev.crossalign.align;

import java.util.Locale;

/**
 * How the candidate was run. CHAINED: the candidate runs the whole graph on its own outputs, so an error travels
 * downstream. ISOLATED: each op is fed the reference's inputs, so an error is the op's own.
 */
public enum Mode {
  CHAINED,
  ISOLATED;

  /** The name the JSON report uses: "chained" or "isolated". */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
