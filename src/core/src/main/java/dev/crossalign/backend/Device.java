package dev.crossalign.backend;

import dev.crossalign.CrossalignException;

/** Where a backend computes. Immutable; parsed from "cpu", "cuda" or "cuda:N". */
public record Device(Kind kind, int index) {
  public enum Kind {
    CPU,
    CUDA
  }

  public static final Device CPU = new Device(Kind.CPU, 0);

  public Device {
    if (index < 0) {
      throw CrossalignException.input("device index must be >= 0, got " + index);
    }
  }

  public static Device parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.equals("cpu")) {
      return CPU;
    }
    if (t.equals("cuda") || t.equals("gpu")) {
      return new Device(Kind.CUDA, 0);
    }
    if (t.startsWith("cuda:")) {
      try {
        return new Device(Kind.CUDA, Integer.parseInt(t.substring(5)));
      } catch (NumberFormatException e) {
        throw CrossalignException.input("bad device '" + text + "': expected cpu, cuda or cuda:N");
      }
    }
    throw CrossalignException.input("bad device '" + text + "': expected cpu, cuda or cuda:N");
  }

  public boolean isCuda() {
    return kind == Kind.CUDA;
  }

  @Override
  public String toString() {
    return kind == Kind.CPU ? "cpu" : "cuda:" + index;
  }
}
