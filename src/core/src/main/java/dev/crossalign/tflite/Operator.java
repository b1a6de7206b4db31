package dev.crossalign.tflite;

/**
 * An operator of a subgraph, in execution order. {@code builtin} is null for custom ops and for builtin codes newer
 * than this reader ({@code builtinCode} keeps the number). Input index -1 means "optional input absent".
 */
public record Operator(
    int index,
    BuiltinOp builtin,
    int builtinCode,
    String customCode,
    int version,
    int[] inputs,
    int[] outputs,
    OpOptions options,
    byte[] customOptions) {

  public boolean isCustom() {
    return customCode != null;
  }

  /** The name reports use: the builtin name, the custom code, or BUILTIN_n for unknown codes. */
  public String opName() {
    if (customCode != null) {
      return customCode;
    }
    return builtin != null ? builtin.name() : "BUILTIN_" + builtinCode;
  }
}
