/**
 * compare: two models (or a model and captured tensors) converted elsewhere, run on shared inputs, their tensors
 * paired by name, structure and value, and compared. Each side sees its backend through HostTensors and plain values
 * only (a TorchScript module through backend.torch.TorchScriptModel).
 */
package dev.crossalign.engine.compare;
