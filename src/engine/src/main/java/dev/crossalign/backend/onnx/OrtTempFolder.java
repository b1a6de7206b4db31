package dev.crossalign.backend.onnx;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code onnxruntime-java*} folder ONNX Runtime's Java loader creates in the temp directory. The loader extracts
 * its provider library there and asks for the folder to be deleted on exit, but the JVM deletes the folder (not yet
 * empty) before the library file in it, so every process that used ONNX Runtime left an empty folder behind. Here a
 * shutdown hook removes the folder and what the loader extracted into it (application hooks run before the JVM's
 * delete-on-exit list).
 */
final class OrtTempFolder {
  private static final AtomicBoolean REGISTERED = new AtomicBoolean();

  private OrtTempFolder() {}

  /** Registers the hook once, after ONNX Runtime has loaded. A loader without the field is left as it is. */
  static void removeAtExit() {
    if (!REGISTERED.compareAndSet(false, true)) {
      return;
    }
    Optional<Path> folder = folder();
    if (folder.isEmpty()) {
      return;
    }
    Path dir = folder.get();
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(dir), "crossalign-ort-temp-cleanup"));
    } catch (IllegalStateException e) {
      // already shutting down: nothing to add to
    }
  }

  /** Where the loader of this process extracted its libraries, if it says (a private field of ai.onnxruntime). */
  static Optional<Path> folder() {
    try {
      Class<?> c = Class.forName("ai.onnxruntime.OnnxRuntime");
      Field f = c.getDeclaredField("tempDirectory");
      f.setAccessible(true);
      Object v = f.get(null);
      return v instanceof Path p ? Optional.of(p) : Optional.empty();
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Deletes the files directly in {@code dir} (the loader makes no subfolders; links are removed, not followed). */
  static void remove(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        || !dir.getFileName().toString().startsWith("onnxruntime-java")) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (!Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // best effort at exit: the delete-on-exit list still runs after this hook
    }
  }
}
