/**
 * The picocli commands, one class each, with shared option mixins; {@code Main.run(out, err, args)} maps each
 * exception kind to one exit status (0 aligned, 1 misaligned, 2 unusable input, 3 ops a backend cannot run). May
 * use every package.
 */
package dev.crossalign.cli;
