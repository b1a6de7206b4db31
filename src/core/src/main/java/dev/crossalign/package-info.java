/**
 * The root: {@link dev.crossalign.CrossalignException}, the one checked-free domain exception whose kind maps to
 * the CLI's exit status. Every package may use it; it uses nothing else here.
 */
package dev.crossalign;
