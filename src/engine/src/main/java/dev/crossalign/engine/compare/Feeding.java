package dev.crossalign.engine.compare;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How compare feeds its two sides: the driver's inputs (given, taken from the other side's .npz, or seeded), and the
 * other side fed the driver's inputs, paired by name, shape and layout (or by order for a TorchScript module), each
 * pairing said in a note.
 */
final class Feeding {
  private Feeding() {}

  /** The other side's run and how its inputs were paired with the driver's. */
  record OtherRun(Activations run, List<InputPairing> pairings) {}

  /**
   * The driver's inputs the .npz holds under their names, added to {@code givenDriver}; an input error naming what is
   * missing when the .npz lacks one (the model would run on generated inputs the .npz never saw).
   */
  static void inputsFromNpz(NpzSide npz, Side driver, Map<String, HostTensor> givenDriver, List<String> notes) {
    List<String> missing = new ArrayList<>();
    for (InputSpec s : driver.inputs()) {
      HostTensor t = npz.tensors().get(s.name());
      if (givenDriver.containsKey(s.name())) {
        continue;
      }
      if (t != null && SeededInputs.fits(s.shape(), t.shape())) {
        givenDriver.put(s.name(), t);
        notes.add("input '" + s.name() + "' taken from " + npz.label());
      } else {
        missing.add(s.name() + Arrays.toString(s.shape()) + (t == null ? "" : " (the .npz has "
            + Arrays.toString(t.shape()) + ")"));
      }
    }
    if (!missing.isEmpty()) {
      List<String> held = npz.tensors().keySet().stream().sorted().limit(8).toList();
      throw CrossalignException.input(npz.label() + " holds no array for the model input(s) " + missing
          + " (it holds " + held + (npz.tensors().size() > 8 ? ", ..." : "") + "): the model would run on"
          + " generated inputs the .npz never saw; store the inputs in the .npz under those names, or give them"
          + " with --input NAME=FILE.npy");
    }
  }

  /** Runs {@code other} on the driver's inputs, paired to its own inputs (or in order for a TorchScript module). */
  static OtherRun runOther(Side other, Side driver, Map<String, HostTensor> driverInputs,
      Map<String, HostTensor> givenOther, List<String> notes) {
    List<InputPairing> pairings = new ArrayList<>();
    Activations otherRun;
    if (!other.inputs().isEmpty()) {
      InputMatcher.Fed fed = InputMatcher.pair(driverInputs, driver.label(), other.inputs(), other.label(),
          givenOther);
      pairings.addAll(fed.pairings());
      otherRun = other.run(fed.feeds());
    } else if (other instanceof TorchScriptSide tss) {
      otherRun = tss.run(driverInputs);
      List<String> names = tss.inputNames();
      int k = 0;
      for (String n : driverInputs.keySet()) {
        String to = k < names.size() ? names.get(k) : n;
        k++;
        pairings.add(new InputPairing(n, to, "nchw".equals(tss.usedLayout()) && driverInputs.get(n).rank() == 4
            ? Layout.nhwcToNchw() : null, "order"));
      }
      notes.add("TorchScript inputs fed " + ("nchw".equals(tss.usedLayout()) ? "permuted NHWC->NCHW" : "as is")
          + (tss.graph() == null ? "; only its final outputs are compared: " + tss.whyOutputsOnly()
          : "; every tensor of its frozen forward's top-level block captured"));
    } else {
      otherRun = other.run(Map.of());
    }
    return new OtherRun(otherRun, pairings);
  }

  /** "input 'x' fed to 'y' (by name) permuted [0, 3, 1, 2] (NHWC->NCHW)". */
  static String note(InputPairing p) {
    return "input '" + p.a() + "' fed to '" + p.b() + "' (by " + p.how() + ")"
        + (p.permutation() == null ? "" : " permuted " + Arrays.toString(p.permutation())
        + (Arrays.equals(p.permutation(), Layout.nhwcToNchw()) ? " (NHWC->NCHW)"
        : Arrays.equals(p.permutation(), Layout.nchwToNhwc()) ? " (NCHW->NHWC)" : ""));
  }
}
