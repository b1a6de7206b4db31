package dev.crossalign.tensor;

import dev.crossalign.engine.Validator;

/**
 * ArchitectureTest's fixture (test sources only, so the main-class import never sees it): a class of package
 * "tensor" that uses the engine, which DESIGN's table forbids and the layer rule must refuse.
 */
final class ArchFixtureForbiddenImport {
  private ArchFixtureForbiddenImport() {}

  static String uses() {
    return Validator.class.getName();
  }
}
