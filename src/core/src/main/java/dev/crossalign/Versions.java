package dev.crossalign;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The versions of crossalign and of its native libraries, from the build (version.properties, filled in by Maven),
 * so that {@code --version} and every report print the same text.
 */
public final class Versions {
  private static final Properties PROPS = load();

  private Versions() {}

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // an unreadable resource inside our own jar: the fallbacks below say "unknown"
    }
    return p;
  }

  /** crossalign's own version, e.g. "0.1.0-SNAPSHOT". */
  public static String crossalign() {
    return PROPS.getProperty("version", "unknown");
  }

  /** The two lines of {@code crossalign --version}. */
  public static String[] lines() {
    String javacpp = PROPS.getProperty("javacpp", "?");
    return new String[] {
      "crossalign " + crossalign(),
      "TFLite " + strip(PROPS.getProperty("tflite", "?"), javacpp) + ", libtorch "
          + strip(PROPS.getProperty("pytorch", "?"), javacpp) + " (JavaCPP " + javacpp + "), ONNX Runtime "
          + PROPS.getProperty("onnxruntime", "?")
    };
  }

  /** "2.20.0-1.5.13" -> "2.20.0": JavaCPP's artifact versions carry its own version as a suffix. */
  private static String strip(String v, String javacpp) {
    return v.endsWith("-" + javacpp) ? v.substring(0, v.length() - javacpp.length() - 1) : v;
  }
}
