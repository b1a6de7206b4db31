/**
 * The picocli commands, one class each; every option several commands take is declared once, as a mixin in
 * {@code SharedOptions} typed by {@code Converters} (bad values fail at parse time), {@code RunOptions} bundling them
 * for validate, compare and truth; {@code Main.run(out, err, args)} maps each exception kind to one exit status (0
 * aligned, 1 misaligned, 2 unusable input, 3 ops a backend cannot run). {@code GpuCheckCommand} is the GPU bundle's own
 * entry point over engine.gpu's legs. The only package that may use picocli (ArchitectureTest). May use every package.
 */
package dev.crossalign.cli;
