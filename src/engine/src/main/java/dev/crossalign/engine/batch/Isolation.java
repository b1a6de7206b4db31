package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import java.util.Locale;

/** Where a batch runs its rows. */
public enum Isolation {
  /** Each worker is a child JVM: a native crash or a hang costs one row and one worker restart, not the batch. */
  PROCESS,
  /** Each worker is a thread of this JVM: no start-up cost, but a native crash in any row ends the whole batch. */
  THREAD;

  public static Isolation parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw CrossalignException.input("bad --isolation '" + s + "': expected process or thread");
    }
  }
}
