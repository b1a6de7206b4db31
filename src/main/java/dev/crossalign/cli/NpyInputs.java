package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.HostTensor;
import java.nio.file.Path;

/** Reads --input files; .npy support lands with the tensor package's Npy reader. */
final class NpyInputs {
  private NpyInputs() {}

  static HostTensor read(Path file) {
    throw CrossalignException.input("--input " + file + ": .npy inputs are not readable in this build yet");
  }
}
