package dev.crossalign.port;

/**
 * One TFLite operator made ready to run on libtorch: constant weights already prepared. {@code inputs} holds one
 * value per op input in TFLite order (null for an absent optional input); constants come in too, as PortValues
 * with TFLite axes, so a lowering may also ignore them and use what it prepared. Returns one value per op output.
 */
@FunctionalInterface
public interface LoweredOp {
  PortValue[] forward(PortValue[] inputs);
}
