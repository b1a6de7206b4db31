package dev.crossalign.engine.batch;

import dev.crossalign.engine.ValidationRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The batch in a child JVM for {@link BatchScaleTest}: {@code MANIFEST OUT WORKERS [MODE]} (always resuming: OUT may
 * hold finished rows); prints VmHWM (peak RSS, kB) from /proc/self/status when the batch is done.
 */
public final class BatchChild {
  private BatchChild() {}

  public static void main(String[] args) throws Exception {
    List<ManifestRow> rows = Manifest.read(Path.of(args[0]));
    BatchOptions d = BatchOptions.defaults();
    BatchOptions opts = args.length < 4 ? d : d.withMode(ValidationRequest.RunMode.parse(args[3]));
    BatchRunner.Summary s = BatchRunner.run(rows, opts, Integer.parseInt(args[2]), Path.of(args[1]), true, null);
    long hwm = -1;
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        hwm = Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    System.out.println("SUMMARY " + s.total() + " " + s.ran() + " " + s.aligned() + " " + s.exitStatus());
    System.out.println("VmHWM_KB " + hwm);
    System.out.flush();
    System.exit(0);
  }
}
