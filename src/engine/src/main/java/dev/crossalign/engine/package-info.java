/**
 * The use cases: validate (the reference plus a leg per candidate backend), compare, bench, batch, determinism and
 * inspect summaries, and the {@code RunSpec} their requests share (device, config, inputs, tolerance). May use every package below it; it is the only layer that combines backends.
 */
package dev.crossalign.engine;
