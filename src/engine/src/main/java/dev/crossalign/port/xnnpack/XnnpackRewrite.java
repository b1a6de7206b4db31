package dev.crossalign.port.xnnpack;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.crossalign.CrossalignException;
import dev.crossalign.port.codegen.ModuleRewrite;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Context;
import org.bytedeco.pytorch.JitModule;

/**
 * libtorch's own XNNPACK rewrite, as torch.utils.mobile_optimizer makes it: before freezing,
 * {@code insertPrePackedOps} turns each aten::conv2d / aten::linear into prepacked::*_clamp_prepack + *_clamp_run;
 * after freezing, {@code fusePrePackedLinearConvWithClamp} folds a following hardtanh / relu into the run's output
 * range and {@code FoldPrePackingOps} packs the weights once into module attributes. The JavaCPP presets do not map
 * these passes, so they are called by their C++ symbols in libtorch_cpu (each takes one {@code Module&}: a pointer
 * to the JitModule's native object).
 */
public final class XnnpackRewrite implements ModuleRewrite {
  static final String INSERT = "_ZN5torch3jit18insertPrePackedOpsERNS0_6ModuleE";
  static final String FUSE_CLAMP = "_ZN5torch3jit32fusePrePackedLinearConvWithClampERNS0_6ModuleE";
  static final String FOLD = "_ZN5torch3jit17FoldPrePackingOpsERNS0_6ModuleE";
  private volatile Map<String, String> info = Map.of();

  @Override
  public void beforeFreeze(JitModule module) {
    call(INSERT, module);
  }

  @Override
  public void afterFreeze(JitModule frozen) {
    call(FUSE_CLAMP, frozen);
    call(FOLD, frozen);
    String graph = frozen.dump_to_str(true, false, false).getString();
    Map<String, String> m = new LinkedHashMap<>();
    for (String op : new String[] {"prepacked::conv2d_clamp_run", "prepacked::linear_clamp_run", "aten::conv2d",
        "aten::linear", "aten::hardtanh", "aten::hardtanh_"}) {
      m.put("ops." + op.replace("::", "."), Integer.toString(count(graph, op + "(")));
    }
    info = Map.copyOf(m);
  }

  /**
   * Ops in the frozen graph after the rewrite: prepacked conv2d / linear runs (on XNNPACK), and what stayed aten
   * (aten.conv2d, aten.linear: not rewritten; aten.hardtanh, aten.hardtanh_: clamps not fused into a conv, e.g. after an
   * add).
   */
  @Override
  public Map<String, String> info() {
    return new java.util.TreeMap<>(info);
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  /**
   * Why this libtorch cannot run the rewrite, or null when it can: XNNPACK compiled in
   * ({@code at::globalContext().isXNNPACKAvailable()}) and the three passes exported. Loads libtorch.
   */
  static String unavailableReason() {
    if (!Context.isXNNPACKAvailable()) {
      return "this libtorch reports XNNPACK unavailable (isXNNPACKAvailable() is false)";
    }
    for (String symbol : new String[] {INSERT, FUSE_CLAMP, FOLD}) {
      try {
        library().getFunction(symbol);
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        return "libtorch_cpu does not export " + symbol;
      }
    }
    return null;
  }

  private static NativeLibrary library() {
    Map<String, String> loaded = Loader.getLoadedLibraries();
    String path = loaded.get("torch_cpu");
    if (path == null) {
      throw new UnsatisfiedLinkError("libtorch_cpu is not loaded");
    }
    return NativeLibrary.getInstance(path);
  }

  private static void call(String symbol, JitModule module) {
    String why = unavailableReason();
    if (why != null) {
      throw CrossalignException.unsupported("torch-xnnpack: " + why);
    }
    if (module == null || module.isNull()) {
      throw new IllegalArgumentException("no module");
    }
    Function f = library().getFunction(symbol);
    try {
      f.invokeVoid(new Object[] {new Pointer(module.address())});
    } catch (RuntimeException e) {
      throw new CrossalignException(CrossalignException.Kind.INTERNAL,
          "libtorch's XNNPACK rewrite failed (" + symbol + "): " + e.getMessage(), e);
    }
  }
}
