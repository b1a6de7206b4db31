package dev.crossalign.engine.batch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a batch worker's model cache is keyed by: the model's content (size, modification time and SHA-256 of its
 * bytes), not its path, so that a model replaced during a batch (by a truncated copy, say) is opened afresh and not
 * answered from the backends of the file that was there before.
 */
final class ModelFingerprint {
  private ModelFingerprint() {}

  /** The key of {@code row}'s model; a file that cannot be read gets a key of its own that no cache entry has. */
  static String of(ManifestRow row) {
    if (row.model() == null) {
      return row.modelLabel();
    }
    Path p = row.model();
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      if (!a.isRegularFile()) {
        return unreadable(row);
      }
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      try (InputStream in = Files.newInputStream(p)) {
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
        }
      }
      return row.modelLabel() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|"
          + HexFormat.of().formatHex(sha.digest());
    } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
      return unreadable(row);
    }
  }

  private static String unreadable(ManifestRow row) {
    return row.modelLabel() + "|unreadable|" + System.nanoTime();
  }
}
