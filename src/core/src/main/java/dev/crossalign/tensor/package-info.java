/**
 * Host-side tensors and their files: {@code HostTensor}, {@code DType}, {@code Layout} with its permutation
 * constants, npy/npz reading and writing, and {@code AtomicFiles} (every output written through a temp file and a
 * move). Plain Java, no native types; it uses nothing else in crossalign.
 */
package dev.crossalign.tensor;
