package dev.crossalign.port;

import java.util.Set;

/**
 * The plug-in SPI: lowers one family of TFLite ops (builtin names like "CONV_2D" or custom codes) to libtorch.
 * Builtin lowerings and user plug-ins are found the same way, through {@code
 * META-INF/services/dev.crossalign.port.OpLowering}; a plug-in's lowering wins over a builtin one for the same name.
 */
public interface OpLowering {
  /** Op names this lowering handles: builtin operator names or custom codes. */
  Set<String> opNames();

  /**
   * Prepares the op (weights converted once). Throws {@link UnsupportedOpException} with a reason when this instance
   * of the op cannot be lowered (an option value, a dtype, a dynamic weight).
   */
  LoweredOp lower(LoweringContext ctx);

  /** Builtin lowerings rank 0; plug-ins should return a higher rank to take precedence. */
  default int rank() {
    return 0;
  }
}
