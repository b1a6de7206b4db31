/**
 * The use cases: validate (the reference plus a leg per candidate backend), compare, bench, batch, determinism and
 * inspect summaries. May use every package below it; it is the only layer that combines backends.
 */
package dev.crossalign.engine;
