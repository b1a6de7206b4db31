package dev.crossalign.tflite;

import java.util.Map;

/** A signature: public input and output names mapped to tensor indices of one subgraph. */
public record SignatureDef(String key, int subgraphIndex, Map<String, Integer> inputs, Map<String, Integer> outputs) {}
