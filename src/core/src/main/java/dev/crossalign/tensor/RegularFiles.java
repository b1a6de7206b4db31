package dev.crossalign.tensor;

import dev.crossalign.CrossalignException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What crossalign reads must be a regular file, and this is checked from the file's metadata before it is opened: a
 * FIFO would block the open forever, a device such as /dev/zero would be read until the heap runs out, a directory
 * gives an error that names no file. Links are followed (a link to a regular file is a regular file).
 */
public final class RegularFiles {
  private RegularFiles() {}

  /** The size of {@code file}, after refusing (INPUT, one line naming {@code label}) anything but a regular file. */
  public static long require(Path file, String label) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw CrossalignException.input(label + ": no such file");
    } catch (FileSystemException e) {
      throw CrossalignException.input(label + ": cannot read: " + (e.getReason() == null ? e.getClass().getSimpleName()
          : e.getReason()));
    } catch (IOException | InvalidPathException e) {
      throw CrossalignException.input(label + ": cannot read: " + e.getMessage());
    }
    if (a.isDirectory()) {
      throw CrossalignException.input(label + ": is a directory, not a file");
    }
    if (!a.isRegularFile()) {
      throw CrossalignException.input(label + ": is not a regular file (a FIFO, device or socket); crossalign reads "
          + "only regular files");
    }
    return a.size();
  }
}
