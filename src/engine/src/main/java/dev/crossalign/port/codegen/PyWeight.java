package dev.crossalign.port.codegen;

import dev.crossalign.tensor.HostTensor;

/**
 * A tensor the generated module registers in its constructor: {@code attribute} is the Python attribute and
 * state_dict key, {@code source} the TFLite tensor (or what it was derived from) it holds, {@code value} its value in
 * the layout the forward uses (float32 for every float weight, int64 for index tables; null once a compiled module
 * holds it natively, {@link GeneratedModel#withoutWeightValues}). {@code parameter}: an
 * nn.Parameter (a trainable weight) rather than a buffer (index tables, count maps, integer constants).
 */
public record PyWeight(String attribute, String source, HostTensor value, boolean parameter, String note) {}
