/**
 * libtorch (bytedeco pytorch): tensor conversion helpers shared by the port, and {@link
 * dev.crossalign.backend.torch.TorchScriptModel}, a user's TorchScript module loaded, frozen and rewritten so that
 * every tensor its forward computes comes back (compare's TorchScript side), handing out HostTensors and plain
 * records only. With port/, the only place libtorch types live.
 */
package dev.crossalign.backend.torch;
