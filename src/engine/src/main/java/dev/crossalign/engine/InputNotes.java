package dev.crossalign.engine;

import dev.crossalign.align.InputChecks;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The preprocessing checks for user-given inputs, as report notes: range, mean, channel means and warnings. */
final class InputNotes {
  private InputNotes() {}

  static List<String> describe(TfliteModel model, Map<String, HostTensor> given, InputChecks.ValueRange expected) {
    List<String> notes = new ArrayList<>();
    Subgraph g = model.main();
    for (int idx : g.inputs()) {
      TensorInfo t = g.tensor(idx);
      HostTensor h = given.get(t.name());
      if (h == null) {
        continue;
      }
      InputChecks.InputReport r =
          InputChecks.check(
              t.name(), t.shape(), t.type() == null ? null : t.type().dtype(), expected, h);
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "input '%s': range [%.6g, %.6g], mean %.6g", t.name(), r.min(), r.max(), r.mean()));
      if (!r.channelMeans().isEmpty()) {
        b.append(", channel means [");
        for (int i = 0; i < r.channelMeans().size(); i++) {
          b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4g", r.channelMeans().get(i)));
        }
        b.append(']');
      }
      notes.add(b.toString());
      notes.addAll(r.warnings());
    }
    return notes;
  }
}
