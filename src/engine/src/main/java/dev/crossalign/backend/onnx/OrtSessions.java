package dev.crossalign.backend.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import dev.crossalign.CrossalignException;
import dev.crossalign.ModelFormatException;
import dev.crossalign.backend.Device;
import dev.crossalign.onnx.ExternalData;
import dev.crossalign.onnx.OnnxModel;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * ONNX Runtime's sessions as {@link OrtBackend} opens them: the process-wide environment, the session options an
 * {@link OrtOptions} means (threads without spinning, no arena for captures, CUDA), the capture copy of a model with
 * every node output fetchable, and the closing and error translation of the native handles.
 */
final class OrtSessions {
  private OrtSessions() {}

  /**
   * The native objects one session owns, closed together: the session first, then its options, then the weights it
   * reads in place.
   */
  record Handles(OrtSession session, OrtSession.SessionOptions options, OrtCUDAProviderOptions cuda,
      OrtWeights weights) {}

  /**
   * A session of {@code model} as {@code opts} ask (with {@code captureIntermediates} every node output a graph output,
   * no arena, no memory pattern), on the caller's thread (ONNX Runtime wants a big stack: see OrtBackend.open).
   */
  static Handles create(OrtEnvironment env, OnnxModel model, OrtOptions opts) {
    return create(env, model, opts, OrtWeights.MIN_BYTES);
  }

  /**
   * {@link #create(OrtEnvironment, OnnxModel, OrtOptions)} with initializers of at least {@code minExternalBytes} that
   * some node reads held outside the model's protobuf ({@code Long.MAX_VALUE}: all inside, the form tests compare
   * against). One form per model, one error: an initializer no node reads stays inside (OrtWeights.split), so ONNX
   * Runtime's dropping of unread initializers never meets an outside tensor of that name.
   */
  static Handles create(OrtEnvironment env, OnnxModel model, OrtOptions opts, long minExternalBytes) {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT, "crossalign needs a little-endian machine");
    }
    ModelProto proto = opts.captureIntermediates() ? withAllOutputs(model.proto()) : model.proto();
    // ONNX Runtime resolves a tensor's external data against the current directory: nothing handed to it may have any
    // (OnnxModel inlines it from the model's own folder; this checks again at the one door to ONNX Runtime)
    ExternalData.firstReference(proto).ifPresent(where -> {
      throw new ModelFormatException("the ONNX model still refers to external data (" + where + "); only a model "
          + "read with OnnxModel.read(Path), which inlines it from the model's folder, can be run", -1);
    });
    // the weights go to ONNX Runtime as tensors on native memory, not inside the serialised model (issue 16)
    OrtWeights.Split split = OrtWeights.split(env, proto, minExternalBytes);
    OrtWeights weights = split.weights();
    OrtSession.SessionOptions so = null;
    OrtCUDAProviderOptions cuda = null;
    OrtSession session = null;
    try {
      byte[] bytes = split.proto().toByteArray();
      so = new OrtSession.SessionOptions();
      so.addExternalInitializers(weights.byName());
      so.setOptimizationLevel(switch (opts.optLevel()) {
        case DISABLE_ALL -> OrtSession.SessionOptions.OptLevel.NO_OPT;
        case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
        case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
        case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
      });
      so.setIntraOpNumThreads(opts.intraOpThreads());
      so.setInterOpNumThreads(opts.interOpThreads());
      // pool workers that spin while waiting for work steal the cores other processes (and the other backends of this
      // run) need; a shared server is this tool's normal setting
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
      so.addConfigEntry("session.inter_op.allow_spinning", "0");
      if (opts.captureIntermediates()) {
        // every value is fetched, so every value outlives the run anyway: an arena (which keeps what it once held)
        // and a memory pattern only add a second copy of the whole run's size to the process
        so.setCPUArenaAllocator(false);
        so.setMemoryPatternOptimization(false);
      }
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setDeterministicCompute(opts.deterministicCompute());
      // failures come back as exceptions with the same text; ORT's own error log would print them twice
      so.setSessionLogLevel(OrtLogs.sessionLevel());
      if (opts.device().isCuda()) {
        cuda = addCuda(so, opts);
      }
      session = env.createSession(bytes, so);
      return new Handles(session, so, cuda, weights);
    } catch (OrtException e) {
      closeQuietly(session, so, cuda, weights);
      throw translate("onnxruntime cannot load the model", e);
    } catch (RuntimeException | Error e) {
      closeQuietly(session, so, cuda, weights);
      throw e;
    }
  }

  /** The process-wide environment, made once: asking again with another log level would only log a warning. */
  private static volatile OrtEnvironment environment;

  static synchronized OrtEnvironment environment() {
    if (environment != null) {
      return environment;
    }
    try {
      environment = OrtEnvironment.getEnvironment(OrtLogs.environmentLevel(), "crossalign");
      OrtTempFolder.removeAtExit();
      return environment;
    } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "cannot load the ONNX Runtime native library: " + e.getMessage(), e);
    }
  }

  private static OrtCUDAProviderOptions addCuda(OrtSession.SessionOptions so, OrtOptions opts) {
    Device d = opts.device();
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "ONNX Runtime on the class path has no CUDA execution provider (it has "
              + OrtEnvironment.getAvailableProviders() + "); use the onnxruntime_gpu artifact "
              + "(-Donnxruntime.artifact=onnxruntime_gpu) on a machine with CUDA and cuDNN, or --device cpu");
    }
    OrtCUDAProviderOptions cuda = null;
    try {
      cuda = new OrtCUDAProviderOptions(d.index());
      cuda.add("cudnn_conv_algo_search", opts.cudnnConvAlgoSearch().name());
      cuda.add("use_tf32", opts.useTf32() ? "1" : "0");
      so.addCUDA(cuda);
      return cuda;
    } catch (OrtException e) {
      if (cuda != null) {
        cuda.close();
      }
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "cannot use " + d + " with ONNX Runtime's CUDA execution provider: " + firstLine(e.getMessage()), e);
    }
  }

  /** A copy of the model in which every node output is also a graph output (typed where the model says). */
  static ModelProto withAllOutputs(ModelProto proto) {
    GraphProto g = proto.getGraph();
    Set<String> outputs = new HashSet<>();
    g.getOutputList().forEach(v -> outputs.add(v.getName()));
    Map<String, ValueInfoProto> declared = new HashMap<>();
    for (ValueInfoProto v : g.getValueInfoList()) {
      if (v.hasType()) {
        declared.putIfAbsent(v.getName(), v);
      }
    }
    GraphProto.Builder gb = g.toBuilder();
    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) {
        if (!o.isEmpty() && outputs.add(o)) {
          // ORT infers the type of an output that declares none (tested in OrtBackendTest)
          gb.addOutput(declared.getOrDefault(o, ValueInfoProto.newBuilder().setName(o).build()));
        }
      }
    }
    return proto.toBuilder().setGraph(gb).build();
  }

  /** Closes {@code h}'s handles, all of them even when one fails; returns the first failure. */
  static RuntimeException closeQuietly(Handles h) {
    return closeQuietly(h.session(), h.options(), h.cuda(), h.weights());
  }

  /**
   * Closes each handle that is not null, all of them even when one fails, the weights last (the session reads them
   * until it is closed); returns the first failure.
   */
  static RuntimeException closeQuietly(
      OrtSession session, OrtSession.SessionOptions so, OrtCUDAProviderOptions cuda, OrtWeights weights) {
    RuntimeException first = null;
    if (session != null) {
      try {
        session.close();
      } catch (OrtException | RuntimeException e) {
        first = new CrossalignException(CrossalignException.Kind.INTERNAL, "closing the onnxruntime session: "
            + e.getMessage(), e);
      }
    }
    for (AutoCloseable c : new AutoCloseable[] {so, cuda, weights}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          if (first == null) {
            first = new CrossalignException(CrossalignException.Kind.INTERNAL, "closing onnxruntime options: "
                + e.getMessage(), e);
          }
        }
      }
    }
    return first;
  }

  static CrossalignException translate(String what, OrtException e) {
    CrossalignException.Kind kind = switch (e.getCode()) {
      case ORT_NOT_IMPLEMENTED -> CrossalignException.Kind.UNSUPPORTED;
      case ORT_INVALID_ARGUMENT, ORT_INVALID_PROTOBUF, ORT_INVALID_GRAPH, ORT_NO_MODEL, ORT_NO_SUCHFILE, ORT_FAIL ->
          CrossalignException.Kind.INPUT;
      case ORT_EP_FAIL -> CrossalignException.Kind.ENVIRONMENT;
      default -> CrossalignException.Kind.INTERNAL;
    };
    // "Error code - ORT_FAIL - message: text" -> "text"
    String msg = firstLine(e.getMessage()).replaceFirst("^Error code - \\w+ - message: ", "");
    return new CrossalignException(kind, what + ": " + msg, e);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
