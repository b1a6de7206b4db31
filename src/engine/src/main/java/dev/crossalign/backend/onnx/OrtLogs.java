package dev.crossalign.backend.onnx;

import ai.onnxruntime.OrtLoggingLevel;

/**
 * How much of ONNX Runtime's own log reaches stderr. Its messages are raw native lines ("[W:onnxruntime:...]") that
 * would sit before crossalign's one-line answer; failures come back as exceptions with the same text, which crossalign
 * folds into its own message. So by default only fatal messages pass; with the system property {@value #PROPERTY}
 * set to true (the CLI's --verbose) warnings and errors are printed as ONNX Runtime writes them.
 */
final class OrtLogs {
  /** The system property the CLI sets for --verbose. */
  static final String PROPERTY = "crossalign.verbose";

  private OrtLogs() {}

  static boolean verbose() {
    return Boolean.getBoolean(PROPERTY);
  }

  /** The process-wide environment's level (fixed when the environment is first created). */
  static OrtLoggingLevel environmentLevel() {
    return verbose() ? OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING : OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
  }

  /** Each session's level. */
  static OrtLoggingLevel sessionLevel() {
    return verbose() ? OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING : OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
  }
}
