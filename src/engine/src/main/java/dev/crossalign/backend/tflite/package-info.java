/**
 * The TFLite interpreter as the reference backend (bytedeco tensorflow-lite): every intermediate preserved, handles
 * closed in dependency order, placeholder kernels for custom ops, external delegates. The only package that touches
 * TFLite's native types.
 */
package dev.crossalign.backend.tflite;
