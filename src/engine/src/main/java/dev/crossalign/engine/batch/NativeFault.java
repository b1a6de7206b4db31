package dev.crossalign.engine.batch;

import java.lang.reflect.Field;

/** A genuine native fault, for tests of crash isolation only: never called unless a test hook asks for it. */
final class NativeFault {
  private NativeFault() {}

  /** Writes to address 0: SIGSEGV, which the JVM does not survive (it writes its crash log and aborts). */
  static void segfault() {
    try {
      Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
      u.putAddress(0L, 0L);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("no Unsafe to fault with", e);
    }
    throw new IllegalStateException("a write to address 0 did not fault");
  }
}
