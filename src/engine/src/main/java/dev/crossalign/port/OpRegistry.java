package dev.crossalign.port;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/** Op name -> lowering, from every {@link OpLowering} on the class path; the highest rank wins a name. */
public final class OpRegistry {
  private final Map<String, OpLowering> byName;

  private OpRegistry(Map<String, OpLowering> byName) {
    this.byName = Collections.unmodifiableMap(byName);
  }

  public static OpRegistry load() {
    return load(OpRegistry.class.getClassLoader());
  }

  public static OpRegistry load(ClassLoader loader) {
    Map<String, OpLowering> map = new HashMap<>();
    for (OpLowering l : ServiceLoader.load(OpLowering.class, loader)) {
      for (String name : l.opNames()) {
        OpLowering prev = map.get(name);
        if (prev == null || l.rank() > prev.rank()) {
          map.put(name, l);
        }
      }
    }
    return new OpRegistry(map);
  }

  /** This registry with {@code lowerings} added on top (they win their op names whatever their rank). */
  public OpRegistry with(OpLowering... lowerings) {
    Map<String, OpLowering> map = new HashMap<>(byName);
    for (OpLowering l : lowerings) {
      for (String name : l.opNames()) {
        map.put(name, l);
      }
    }
    return new OpRegistry(map);
  }

  public OpLowering find(String opName) {
    return byName.get(opName);
  }

  public Set<String> supportedOps() {
    return Collections.unmodifiableSet(new TreeSet<>(byName.keySet()));
  }
}
