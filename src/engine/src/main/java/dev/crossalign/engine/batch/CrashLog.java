package dev.crossalign.engine.batch;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a HotSpot fatal-error report (hs_err file, or its summary on stderr) says faulted, in one line. */
final class CrashLog {
  /** "#  SIGSEGV (0xb) at pc=0x00007f..., pid=12, tid=13". */
  private static final Pattern SIGNAL = Pattern.compile("^#\\s+(SIG[A-Z]+ \\(0x[0-9a-f]+\\))");
  /** "# C  [libtensorflowlite_jni.so+0x1a2b3]  tflite::Subgraph::AllocateTensors()+0x33". */
  private static final Pattern FRAME = Pattern.compile("^#\\s+[CVJjv]\\s+\\[?([^\\]]+)\\]?(.*)$");

  private CrashLog() {}

  /** "SIGSEGV (0xb) in [libX.so+0x12] symbol", or null when the lines hold no fatal-error report. */
  static String fault(List<String> lines) {
    String signal = null;
    String frame = null;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (signal == null) {
        Matcher m = SIGNAL.matcher(l);
        if (m.find()) {
          signal = m.group(1);
        }
      }
      if (frame == null && l.startsWith("# Problematic frame:") && i + 1 < lines.size()) {
        Matcher f = FRAME.matcher(lines.get(i + 1));
        if (f.find()) {
          frame = (f.group(1).strip() + " " + f.group(2).strip()).strip();
        }
      }
    }
    if (signal == null) {
      return null;
    }
    return frame == null ? signal : signal + " in " + (frame.length() > 200 ? frame.substring(0, 200) : frame);
  }
}
