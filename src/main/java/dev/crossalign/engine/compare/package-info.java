/**
 * compare: two models (or a model and captured tensors) converted elsewhere, run on shared inputs, their tensors
 * paired by name, structure and value, and compared. Known debt: TorchScriptSide runs libtorch here until it moves
 * to backend.torch (issue 14).
 */
package dev.crossalign.engine.compare;
