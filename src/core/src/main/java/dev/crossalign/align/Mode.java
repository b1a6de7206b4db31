package dev.crossalign.align;

import java.util.Locale;

/**
 * How the candidate was run. CHAINED: the candidate runs the whole graph on its own outputs, so an error travels
 * downstream. ISOLATED: each op is fed the reference's inputs, so an error is the op's own. WEIGHTS: not a run but a
 * kind of tensor: one computed from constants only (DEQUANTIZE of fp16 weights, DENSIFY, a RESHAPE of a weight), the
 * same in every mode, so it is checked once per pair and not counted among the activations.
 */
public enum Mode {
  CHAINED,
  ISOLATED,
  WEIGHTS;

  /** The name the JSON report uses: "chained", "isolated" or "weights". */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
