package dev.crossalign.backend;

import dev.crossalign.tensor.HostTensor;

/**
 * One tensor a backend produced. {@code name} is the reference (TFLite) tensor name it stands for, {@code op} the
 * producing op ("INPUT" for graph inputs), {@code index} its topological position in the reference graph (-1 when it
 * has none).
 */
public record CapturedTensor(String name, String op, int index, HostTensor tensor) {}
