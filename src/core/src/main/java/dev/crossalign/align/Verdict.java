package dev.crossalign.align;

import java.util.Locale;

/** The one-word answer of a validation. The CLI maps it to an exit status (0, 1, 3). */
public enum Verdict {
  /** Every compared tensor is within tolerance, and the outputs were compared. */
  ALIGNED,
  /** At least one comparison fails (values out of tolerance, non-finite mismatch, shape mismatch, missing output). */
  MISALIGNED,
  /** Nothing was compared, or ops a backend cannot run kept the model outputs from being compared. */
  INCOMPLETE;

  /** The name the JSON report uses: "aligned", "misaligned" or "incomplete". */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
