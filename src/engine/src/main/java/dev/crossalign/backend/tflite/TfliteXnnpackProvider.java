package dev.crossalign.backend.tflite;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendProvider;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.Device;

/** The TFLite interpreter with the XNNPACK delegate: bench's latency baseline. CPU only, like the interpreter. */
public final class TfliteXnnpackProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.TFLITE_XNNPACK;
  }

  @Override
  public Capability probe(Device device) {
    return TfliteProvider.probe(kind(), device);
  }

  @Override
  public Class<TfliteOptions> optionsType() {
    return TfliteOptions.class;
  }

  /** The spec's options (or the purpose's) with the XNNPACK delegate, whatever delegate they named. */
  @Override
  public Backend open(BackendSpec spec) {
    return TfliteBackend.open(spec.model(), TfliteProvider.options(spec).withDelegate(TfliteOptions.Delegate.XNNPACK));
  }
}
