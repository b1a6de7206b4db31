package dev.crossalign.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's Main-Class. It uses nothing but the JDK, so that a crossalign.jar copied without its lib/ folder answers
 * in one line (exit 2) instead of dying in Main with a NoClassDefFoundError and a stack trace.
 */
public final class Launcher {
  /** One class of each runtime jar the CLI cannot start without. */
  static final String[] REQUIRED = {
    "picocli.CommandLine",
    "com.fasterxml.jackson.databind.ObjectMapper",
    "com.google.flatbuffers.FlatBufferBuilder",
    "com.google.protobuf.Message",
    "org.bytedeco.javacpp.Loader",
    "ai.onnxruntime.OrtEnvironment",
  };

  private Launcher() {}

  public static void main(String[] args) throws Throwable {
    String missing = firstMissing(Launcher.class.getClassLoader());
    if (missing != null) {
      System.err.println(missingMessage(missing));
      System.exit(2);
    }
    try {
      Class.forName("dev.crossalign.cli.Main").getMethod("main", String[].class).invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** The first required class the loader cannot find, or null when all are there. */
  static String firstMissing(ClassLoader loader) {
    for (String name : REQUIRED) {
      try {
        Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        return name;
      }
    }
    return null;
  }

  static String missingMessage(String missingClass) {
    return "crossalign: the runtime libraries are not on the class path (" + missingClass + " not found): run"
        + " bin/crossalign from the app folder (target/crossalign after mvn package, or crossalign.tar.gz unpacked),"
        + " or keep crossalign.jar next to its lib/ folder";
  }
}
