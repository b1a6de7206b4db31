package dev.crossalign.port.codegen;

import org.bytedeco.pytorch.JitModule;

/**
 * A graph rewrite of the compiled generated module that a backend variant applies around freezing ({@link
 * TorchScriptModule#compileFrozen(GeneratedModel, ModuleRewrite)}): on the unfrozen module (weights still attributes)
 * and on the frozen copy (weights constants). Throws a CrossalignException when the rewrite cannot be made.
 */
public interface ModuleRewrite {
  /** No rewrite: the generated code's own aten calls. */
  ModuleRewrite NONE = new ModuleRewrite() {
    @Override
    public void beforeFreeze(JitModule module) {}

    @Override
    public void afterFreeze(JitModule frozen) {}
  };

  void beforeFreeze(JitModule module);

  void afterFreeze(JitModule frozen);

  /** What the rewrite did, for the backend's config (e.g. how many ops it replaced); empty by default. */
  default java.util.Map<String, String> info() {
    return java.util.Map.of();
  }
}
