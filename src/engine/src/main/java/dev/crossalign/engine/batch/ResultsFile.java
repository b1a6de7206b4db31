package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The --jsonl file batch appends to (and --resume reads and trims): only a file that is recognisably a crossalign
 * results file, never through a symbolic link. Without this a batch would cut the last line off any file named to it
 * and append JSON to it, following a link wherever it points.
 */
final class ResultsFile {
  /** How much of the first line is read to recognise it; result lines are far shorter. */
  private static final int MAX_FIRST_LINE = 1 << 20;

  private ResultsFile() {}

  /**
   * Refuses (INPUT, one line) a path that is a symbolic link, not a regular file, or a non-empty file whose first line
   * is not a batch result line. A missing or empty file is fine: batch creates or starts it.
   */
  static void requireAppendable(Path path) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw CrossalignException.input("--jsonl " + path + ": cannot read: " + e.getMessage());
    }
    if (a.isSymbolicLink()) {
      throw CrossalignException.input("--jsonl " + path + " is a symbolic link; name the results file itself");
    }
    if (!a.isRegularFile()) {
      throw CrossalignException.input("--jsonl " + path + " is not a regular file");
    }
    if (a.size() == 0) {
      return;
    }
    String first = firstLine(path);
    try {
      RowResult.parse(first);
    } catch (IOException | RuntimeException e) {
      throw CrossalignException.input("--jsonl " + path + " is not a crossalign batch results file (its first line "
          + "is not a result line); batch appends only to its own results: name a new file");
    }
  }

  private static String firstLine(Path path) {
    byte[] head;
    try (InputStream in = Files.newInputStream(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      head = in.readNBytes(MAX_FIRST_LINE);
    } catch (IOException e) {
      throw CrossalignException.input("--jsonl " + path + ": cannot read: " + e.getMessage());
    }
    int end = 0;
    while (end < head.length && head[end] != '\n') {
      end++;
    }
    return new String(head, 0, end, StandardCharsets.UTF_8);
  }
}
