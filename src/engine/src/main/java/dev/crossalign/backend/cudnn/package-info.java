/**
 * cuDNN called directly (bytedeco cuda): convolutions with every forward algorithm, math types and determinism
 * settings, for the GPU experiments. The only package that touches CUDA/cuDNN types.
 */
package dev.crossalign.backend.cudnn;
