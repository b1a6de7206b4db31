package dev.crossalign.engine.truth;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.Validator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;

/**
 * Validate's float64-truth step (issue 13): after the legs, when the request asks for it ({@code --truth} or
 * {@code --tolerance auto}), the truth lab runs on validate's own reference run and inputs (no second TFLite run)
 * and its table goes into the result, for the JSON and HTML reports and, under auto, the exit status. It adds a
 * float64 and a float32 isolated port run, a float64 run of the magnitude form and, when ONNX Runtime is among the
 * backends, an isolated ONNX Runtime run, all on the CPU; so the default run (OFF) does not pay for it.
 */
public final class ValidateTruth {
  private ValidateTruth() {}

  /** {@code outcome} with the truth of {@code reference} attached when {@code req} asks for it, else unchanged. */
  public static Validator.Outcome attach(ValidationRequest req, TfliteModel model, Map<String, HostTensor> inputs,
      Activations reference, Validator.Outcome outcome) {
    if (req.truth() == ValidationRequest.Truth.OFF) {
      return outcome;
    }
    long t0 = System.nanoTime();
    TruthLab.Result r = TruthLab.run(new TruthLab.Request(model, inputs, req.runs(BackendKind.ONNXRUNTIME),
        req.config()), reference);
    return new Validator.Outcome(outcome.result().withTruth(r.table(), req.truth() == ValidationRequest.Truth.AUTO,
        (System.nanoTime() - t0) / 1e6), outcome.activations());
  }
}
