package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.RegularFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a command will read and write, checked before the run starts: every input is a regular file, no output
 * is one of the inputs (so --json model.tflite or convert m.tflite -o m.tflite cannot overwrite the model), and every
 * output can be written (its folder exists and is writable; a --dump-dir may be made), so that a bad output path is found in
 * the first second and not after the whole run.
 */
final class FilePlan {
  private record Named(String role, Path path, boolean directory) {}

  private final List<Named> inputs = new ArrayList<>();
  private final List<Named> outputs = new ArrayList<>();

  /** A file to read (null: none). */
  FilePlan input(String role, Path path) {
    if (path != null) {
      inputs.add(new Named(role, path, false));
    }
    return this;
  }

  /** A file to write (null: none; "-" is stdout). */
  FilePlan output(String option, Path path) {
    if (path != null && !path.toString().equals("-")) {
      outputs.add(new Named(option, path, false));
    }
    return this;
  }

  /** A folder to write files into (null: none). */
  FilePlan outputDirectory(String option, Path path) {
    if (path != null) {
      outputs.add(new Named(option, path, true));
    }
    return this;
  }

  /** Throws a one-line INPUT error (exit 2) for the first problem found; reads and writes nothing. */
  void check() {
    for (Named in : inputs) {
      RegularFiles.require(in.path(), in.role());
    }
    for (Named out : outputs) {
      for (Named in : inputs) {
        if (sameFile(out.path(), in.path())) {
          throw CrossalignException.input(out.role() + " " + out.path() + " is the " + in.role() + " itself; "
              + "writing it would overwrite an input: choose another output path");
        }
      }
      writable(out);
    }
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  private static void writable(Named out) {
    Path target = out.path().toAbsolutePath().normalize();
    if (Files.isDirectory(target)) {
      if (!out.directory()) {
        throw CrossalignException.input(out.role() + " " + out.path() + " is a directory; give a file name");
      }
      if (!Files.isWritable(target)) {
        throw CrossalignException.input(out.role() + " " + out.path() + ": folder is not writable");
      }
      return;
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) || Files.exists(target)) {
      if (out.directory()) {
        throw CrossalignException.input(out.role() + " " + out.path() + " is a file, not a folder");
      }
      if (!Files.isRegularFile(target)) {
        throw CrossalignException.input(out.role() + " " + out.path() + " is not a regular file");
      }
    }
    // a file goes into a folder that exists; a dump folder may be made, under the nearest folder that exists
    Path dir = target.getParent();
    while (out.directory() && dir != null && !Files.exists(dir)) {
      dir = dir.getParent();
    }
    if (dir == null || !Files.exists(dir)) {
      throw CrossalignException.input(out.role() + " " + out.path() + ": folder " + dir + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw CrossalignException.input(out.role() + " " + out.path() + ": " + dir + " is a file, not a folder");
    }
    if (!Files.isWritable(dir)) {
      throw CrossalignException.input(out.role() + " " + out.path() + ": folder " + dir + " is not writable");
    }
  }
}
