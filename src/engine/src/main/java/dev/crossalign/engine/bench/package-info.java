/**
 * bench: interleaved timing of every backend on one model, medians and spreads, with the sources of each backend's
 * model.
 */
package dev.crossalign.engine.bench;
