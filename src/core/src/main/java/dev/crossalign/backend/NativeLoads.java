package dev.crossalign.backend;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.bytedeco.javacpp.Loader;

/**
 * Loads backends' native libraries in the background, on one thread and in one fixed order, so that a validation can
 * read its model and run its reference while libtorch and ONNX Runtime load. The order is JavaCPP's own classes
 * first, then the backends in {@link BackendKind} order (TFLite, libtorch with its OpenBLAS, ONNX Runtime).
 *
 * <p>Why one thread and that order: JavaCPP's {@code Loader.loadLibrary} holds the {@code Loader} class lock while a
 * library's JNI_OnLoad initialises Java classes, and every JavaCPP class's static initialiser takes that lock. A
 * thread that starts initialising a JavaCPP class another thread's library load needs, while that load holds the
 * lock, deadlocks both (seen once: commit ff69831). Here every class two backends share (the javacpp package, its
 * indexers and presets) is initialised first, on this thread, and a caller touches a backend's classes only after
 * {@link #await} of that backend returned: what a caller initialises afterwards belongs to a library already loaded,
 * so no lock waits on a class initialisation in progress elsewhere.
 *
 * <p>A failed load is not an error here: {@link #await} returns and the backend's own open reports it as it always
 * did. Process-wide: libraries load once per JVM; a later request for a loaded backend returns at once.
 */
public final class NativeLoads {
  private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(BigStack.factory("crossalign-natives"));
  private static final Map<BackendKind, CompletableFuture<Void>> LOADS = new EnumMap<>(BackendKind.class);
  private static CompletableFuture<Void> core;

  private final Map<BackendKind, CompletableFuture<Void>> mine;

  private NativeLoads(Map<BackendKind, CompletableFuture<Void>> mine) {
    this.mine = mine;
  }

  /**
   * Starts loading the natives of {@code kinds} (those already loading or loaded are shared), in the fixed order.
   * Returns at once.
   */
  public static NativeLoads start(Collection<BackendKind> kinds) {
    EnumSet<BackendKind> wanted = kinds.isEmpty() ? EnumSet.noneOf(BackendKind.class) : EnumSet.copyOf(kinds);
    Map<BackendKind, CompletableFuture<Void>> mine = new EnumMap<>(BackendKind.class);
    synchronized (LOADS) {
      if (core == null) {
        core = CompletableFuture.runAsync(NativeLoads::initJavaCppCore, THREAD);
      }
      for (BackendKind k : wanted) { // EnumSet iterates in declaration order: the fixed order
        mine.put(k, LOADS.computeIfAbsent(k, kind -> CompletableFuture.runAsync(() -> load(kind), THREAD)));
      }
    }
    return new NativeLoads(mine);
  }

  /**
   * Blocks until {@code kind}'s natives are loaded (or failed to load: its open says why); at once for a kind this
   * request did not name. Call it before the first use of the backend's classes.
   */
  public void await(BackendKind kind) {
    CompletableFuture<Void> f = mine.get(kind);
    if (f != null) {
      f.join(); // load() never completes exceptionally
    }
  }

  /** Loads one backend's natives through its provider's probe (which loads and never throws). */
  private static void load(BackendKind kind) {
    try {
      Backends.provider(kind).probe(Device.CPU);
    } catch (RuntimeException | LinkageError e) {
      // no provider or a broken class path: the backend's open reports it in its own words
    }
  }

  /**
   * Initialises every class of JavaCPP's own jar that backends share (org.bytedeco.javacpp and its indexer, presets,
   * chrono and global packages; not the build tools), so that no later library load waits on one of them.
   */
  static void initJavaCppCore() {
    ClassLoader cl = Loader.class.getClassLoader();
    for (String name : javaCppCoreClasses()) {
      try {
        Class.forName(name, true, cl);
      } catch (ClassNotFoundException | LinkageError e) {
        // a class that cannot initialise here cannot be initialised by anyone else either
      }
    }
  }

  /** The names of the shared JavaCPP classes, read from the jar that holds {@link Loader}. */
  static List<String> javaCppCoreClasses() {
    List<String> names = new ArrayList<>();
    names.add(Loader.class.getName());
    try {
      Path jar = Path.of(Loader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      try (ZipFile z = new ZipFile(jar.toFile())) {
        z.stream().map(ZipEntry::getName).filter(NativeLoads::sharedClassEntry)
            .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
            .forEach(names::add);
      }
    } catch (IOException | URISyntaxException | RuntimeException e) {
      // not a jar (classes directory) or unreadable: the named fallbacks below still come first
    }
    for (String s : new String[] {"Pointer", "BytePointer", "ShortPointer", "IntPointer", "LongPointer",
        "FloatPointer", "DoublePointer", "CharPointer", "BooleanPointer", "BoolPointer", "CLongPointer",
        "SizeTPointer", "PointerPointer", "FunctionPointer", "PointerScope"}) {
      names.add("org.bytedeco.javacpp." + s);
    }
    return names;
  }

  private static boolean sharedClassEntry(String n) {
    return n.startsWith("org/bytedeco/javacpp/") && n.endsWith(".class") && !n.startsWith("org/bytedeco/javacpp/tools/")
        && !n.startsWith("org/bytedeco/javacpp/annotation/");
  }
}
