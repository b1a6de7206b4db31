package dev.crossalign.engine.gpu;

import picocli.CommandLine;

/**
 * ArchitectureTest's fixture (test sources only, so the main-class import never sees it): a class of the engine that
 * parses a command line with picocli, which only dev.crossalign.cli may do.
 */
final class ArchFixturePicocli {
  private ArchFixturePicocli() {}

  static int parses(Object command, String... args) {
    return new CommandLine(command).execute(args);
  }
}
