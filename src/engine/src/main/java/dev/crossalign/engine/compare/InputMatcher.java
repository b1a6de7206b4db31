package dev.crossalign.engine.compare;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.LayoutAligner;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pairs the inputs of the side that drives (whose inputs are generated or given) with the inputs of the other side:
 * by name, else by order among the unpaired ones whose shape fits as is or through the NHWC/NCHW permutation.
 */
final class InputMatcher {
  private static final int[] NHWC_TO_NCHW = Layout.nhwcToNchw();
  private static final int[] NCHW_TO_NHWC = Layout.nchwToNhwc();

  private InputMatcher() {}

  /** The feed of the other side, plus how each input was paired (pairing.a = driver input, pairing.b = other). */
  record Fed(Map<String, HostTensor> feeds, List<InputPairing> pairings) {}

  /**
   * Pairs them; {@code driverLabel} and {@code otherLabel} are the two files, named in the errors when an input of the
   * other side finds no counterpart or a different dtype.
   */
  static Fed pair(Map<String, HostTensor> driverInputs, String driverLabel, List<InputSpec> other, String otherLabel,
      Map<String, HostTensor> givenOther) {
    Map<String, HostTensor> feeds = new LinkedHashMap<>();
    List<InputPairing> pairings = new ArrayList<>();
    Set<String> used = new HashSet<>();
    List<InputSpec> unpaired = new ArrayList<>();
    for (InputSpec s : other) {
      HostTensor given = givenOther.get(s.name());
      if (given != null) {
        feeds.put(s.name(), given.withLayout(s.layout()));
        continue;
      }
      HostTensor t = driverInputs.get(s.name());
      int[] p = t == null ? null : permutationFor(t, s);
      if (t != null && p != null) {
        used.add(s.name());
        add(feeds, pairings, s.name(), t, s, p, "name", otherLabel);
      } else {
        unpaired.add(s);
      }
    }
    for (InputSpec s : unpaired) {
      boolean done = false;
      for (Map.Entry<String, HostTensor> e : driverInputs.entrySet()) {
        if (used.contains(e.getKey())) {
          continue;
        }
        int[] p = permutationFor(e.getValue(), s);
        if (p != null) {
          used.add(e.getKey());
          add(feeds, pairings, e.getKey(), e.getValue(), s, p, "order", otherLabel);
          done = true;
          break;
        }
      }
      if (!done) {
        throw CrossalignException.input(otherLabel + ": input '" + s.name() + "' " + Arrays.toString(s.shape())
            + " has no counterpart among the inputs of " + driverLabel + " " + describe(driverInputs)
            + " (by name, or by order with a fitting shape); give it with --input " + s.name() + "=FILE.npy");
      }
    }
    return new Fed(feeds, pairings);
  }

  private static void add(Map<String, HostTensor> feeds, List<InputPairing> pairings, String driverName,
      HostTensor t, InputSpec s, int[] p, String how, String otherLabel) {
    HostTensor fed = p.length == 0 ? t.withLayout(s.layout()) : t.permute(p, s.layout() == Layout.ANY
        ? (Arrays.equals(p, NHWC_TO_NCHW) ? Layout.NCHW : Layout.NHWC) : s.layout());
    if (s.dtype() != null && fed.dtype() != s.dtype()) {
      if (s.dtype().isFloating() && fed.dtype().isFloating()) {
        fed = fed.toFloat32();
      }
      if (fed.dtype() != s.dtype()) {
        throw CrossalignException.input(otherLabel + ": input '" + s.name() + "' is " + s.dtype()
            + ", its counterpart '" + driverName + "' is " + t.dtype());
      }
    }
    feeds.put(s.name(), fed);
    pairings.add(new InputPairing(driverName, s.name(), p.length == 0 ? null : p, how));
  }

  /**
   * The permutation that makes t fit s: empty for as is, [0,3,1,2] / [0,2,3,1] for the layout permutation, null
   * when nothing fits. When both fit (square images with C == H), layout tags decide: an NHWC tensor for an input
   * declared NCHW is permuted.
   */
  static int[] permutationFor(HostTensor t, InputSpec s) {
    int[] ts = t.shape();
    boolean asIs = SeededInputs.fits(s.shape(), ts);
    if (ts.length == 4) {
      boolean toNchw = SeededInputs.fits(s.shape(), LayoutAligner.permuteShape(ts, NHWC_TO_NCHW));
      boolean toNhwc = SeededInputs.fits(s.shape(), LayoutAligner.permuteShape(ts, NCHW_TO_NHWC));
      if (toNchw && (!asIs || (t.layout() == Layout.NHWC && s.layout() == Layout.NCHW))) {
        return NHWC_TO_NCHW;
      }
      if (toNhwc && (!asIs || (t.layout() == Layout.NCHW && s.layout() == Layout.NHWC))) {
        return NCHW_TO_NHWC;
      }
    }
    return asIs ? new int[0] : null;
  }

  private static String describe(Map<String, HostTensor> inputs) {
    List<String> l = new ArrayList<>();
    inputs.forEach((k, v) -> l.add(k + Arrays.toString(v.shape())));
    return l.toString();
  }
}
