/**
 * The TFLite model in pure Java: a bounds-checked flatbuffer reader and a writer for tests, op options, and
 * TensorFlow's rules as plain functions (SAME padding, strided-slice plan, resize coordinates), plus the operator
 * input checks that keep malformed models away from the native interpreter. May use tensor.
 */
package dev.crossalign.tflite;
