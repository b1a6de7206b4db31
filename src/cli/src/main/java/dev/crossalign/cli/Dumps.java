package dev.crossalign.cli;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tensor.Npz;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** --dump-dir: each backend run's tensors as one .npz, loadable with numpy.load, names as in the report. */
final class Dumps {
  private Dumps() {}

  static void write(Path dir, Map<String, Activations> runs) {
    for (Map.Entry<String, Activations> run : runs.entrySet()) {
      Map<String, HostTensor> tensors = new LinkedHashMap<>();
      for (CapturedTensor c : run.getValue().tensors()) {
        HostTensor t = c.tensor();
        if (t.layout() == Layout.NCHW && t.rank() == 4) {
          t = t.permute(Layout.nchwToNhwc(), Layout.NHWC);
        }
        tensors.put(c.name(), t);
      }
      Npz.write(dir.resolve(run.getKey() + ".npz"), tensors);
    }
  }
}
