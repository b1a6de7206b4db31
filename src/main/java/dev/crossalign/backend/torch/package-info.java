/**
 * libtorch tensor conversion helpers (bytedeco pytorch), shared by the port. With port/, the only place libtorch
 * types live.
 */
package dev.crossalign.backend.torch;
