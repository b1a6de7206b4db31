/**
 * Comparison of two runs: tensor matching across layouts, {@code Metrics} (accumulated in double), tolerances,
 * verdicts and input checks. Plain Java over host arrays; may use tensor and backend's value types.
 */
package dev.crossalign.align;
