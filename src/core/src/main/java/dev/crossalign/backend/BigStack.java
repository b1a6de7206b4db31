package dev.crossalign.backend;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Threads with a large stack for native work. ONNX Runtime 1.29 overflows the default 1 MiB Java thread stack while
 * loading models exported from the face detectors and the demo (a SIGSEGV that kills the JVM without an hs_err file);
 * 16 MiB is enough, {@link #BYTES} leaves room. The stack is reserved address space, touched only as far as it is used.
 */
public final class BigStack {
  public static final long BYTES = 64L << 20;

  private static final ThreadLocal<Boolean> ON_BIG_STACK = ThreadLocal.withInitial(() -> false);

  private BigStack() {}

  /** True on a thread made by this class (or marked as such): no need to hop again. */
  public static boolean onBigStack() {
    return ON_BIG_STACK.get();
  }

  /** A factory of daemon threads named {@code prefix-N} with a {@link #BYTES} stack. */
  public static ThreadFactory factory(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(null, () -> {
        ON_BIG_STACK.set(true);
        r.run();
      }, prefix + "-" + n.incrementAndGet(), BYTES);
      t.setDaemon(true);
      return t;
    };
  }

  /** Runs {@code body} on a fresh big-stack thread and returns its result; its exceptions are rethrown here. */
  public static <T> T call(String name, Supplier<T> body) {
    if (onBigStack()) {
      return body.get();
    }
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(null, () -> {
      ON_BIG_STACK.set(true);
      try {
        result.set(body.get());
      } catch (Throwable e) {
        failure.set(e);
      }
    }, name, BYTES);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      t.interrupt();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name, e);
    }
    Throwable e = failure.get();
    if (e instanceof RuntimeException re) {
      throw re;
    }
    if (e instanceof Error err) {
      throw err;
    }
    if (e != null) {
      throw new IllegalStateException(e);
    }
    return result.get();
  }
}
