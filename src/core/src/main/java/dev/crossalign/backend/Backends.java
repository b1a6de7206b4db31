package dev.crossalign.backend;

import dev.crossalign.CrossalignException;
import java.util.EnumMap;
import java.util.Map;
import java.util.ServiceLoader;

/** The registered {@link BackendProvider}s, one per {@link BackendKind}, loaded once. */
public final class Backends {
  private static volatile Map<BackendKind, BackendProvider> providers;

  private Backends() {}

  /** The provider of {@code kind}; an environment error when none is on the class path. */
  public static BackendProvider provider(BackendKind kind) {
    BackendProvider p = all().get(kind);
    if (p == null) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "no provider for backend " + kind.id() + " on the class path (META-INF/services/"
              + BackendProvider.class.getName() + ")");
    }
    return p;
  }

  /** Opens {@code spec} on {@code kind}. */
  public static Backend open(BackendKind kind, BackendSpec spec) {
    BackendProvider p = provider(kind);
    NativeOptions o = spec.options();
    if (o != null && (p.optionsType() == null || !p.optionsType().isInstance(o))) {
      throw new IllegalStateException("backend " + kind.id() + " takes " + (p.optionsType() == null ? "no native options"
          : p.optionsType().getSimpleName()) + ", not " + o.getClass().getSimpleName());
    }
    return p.open(spec);
  }

  /**
   * Opens {@code spec} on {@code kind} as the capability {@code type} the caller needs; closes what it opened when
   * that backend does not offer it.
   */
  public static <T extends Backend> T open(BackendKind kind, BackendSpec spec, Class<T> type) {
    Backend b = open(kind, spec);
    try {
      return capability(b, type);
    } catch (RuntimeException e) {
      b.close();
      throw e;
    }
  }

  /**
   * {@code backend} as the capability {@code type} (a {@link StreamingBackend}, a {@link ReferenceBackend}) that a use
   * case needs beyond {@link Backend}; an internal error naming both when that backend does not offer it.
   */
  public static <T> T capability(Backend backend, Class<T> type) {
    if (!type.isInstance(backend)) {
      throw new IllegalStateException("backend " + backend.name() + " (" + backend.getClass().getSimpleName()
          + ") is not a " + type.getSimpleName());
    }
    return type.cast(backend);
  }

  /** Every registered provider by kind. */
  public static Map<BackendKind, BackendProvider> all() {
    Map<BackendKind, BackendProvider> m = providers;
    if (m == null) {
      m = load();
      providers = m;
    }
    return m;
  }

  private static Map<BackendKind, BackendProvider> load() {
    Map<BackendKind, BackendProvider> m = new EnumMap<>(BackendKind.class);
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
      BackendProvider before = m.putIfAbsent(p.kind(), p);
      if (before != null) {
        throw new IllegalStateException("two providers for backend " + p.kind().id() + ": "
            + before.getClass().getName() + " and " + p.getClass().getName());
      }
    }
    return java.util.Collections.unmodifiableMap(m);
  }
}
