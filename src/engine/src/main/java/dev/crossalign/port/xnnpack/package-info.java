/**
 * torch-xnnpack: the torch port's generated module with its convolutions and linear layers on libtorch's bundled
 * XNNPACK (the prepacked ops the mobile optimizer inserts), a separately named backend because it validates XNNPACK's
 * numerics, not the aten kernels PyTorch users get.
 */
package dev.crossalign.port.xnnpack;
