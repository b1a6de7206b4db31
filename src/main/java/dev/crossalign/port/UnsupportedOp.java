package dev.crossalign.port;

/** An op the port could not lower: its name, how many times the model uses it, and why. */
public record UnsupportedOp(String op, int count, String reason) {}
