package dev.crossalign.port.codegen;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.CompilationUnit;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.QualifiedNameOptional;
import org.bytedeco.pytorch.SimpleSelf;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The generated module compiled by libtorch's TorchScript compiler from Java: the forward text of {@link
 * GeneratedModel#torchScript} defined on a TorchScript class whose parameters and buffers are the generated weights.
 * It saves as a TorchScript archive (model.pt) and writes the state_dict as Python's torch.save does (weights.pth).
 * One owner; {@link #close} frees the native module and tensors.
 */
public final class TorchScriptModule implements AutoCloseable {
  private final GeneratedModel model;
  private final CompilationUnit unit;
  private final JitModule module;
  private final List<Tensor> owned = new ArrayList<>();
  private boolean closed;

  private TorchScriptModule(GeneratedModel model) {
    this.model = model;
    this.unit = new CompilationUnit();
    String qualified = "__torch__." + model.className();
    this.module = new JitModule(new QualifiedName(qualified), unit, true);
    for (PyWeight w : model.weights()) {
      Tensor t = TorchTensors.toTorch(w.value());
      owned.add(t);
      if (w.parameter()) {
        module.register_parameter(w.attribute(), t, false);
      } else {
        module.register_buffer(w.attribute(), t);
      }
    }
    define(unit, qualified, module, model.torchScript());
    module.eval();
  }

  /** Compiles the generated forward; a compiler error is an INTERNAL error quoting libtorch's first lines. */
  public static TorchScriptModule compile(GeneratedModel model) {
    if (!model.complete()) {
      throw new IllegalArgumentException("the generated model has refused ops");
    }
    return new TorchScriptModule(model);
  }

  private static void define(CompilationUnit unit, String qualified, JitModule module, String source) {
    try {
      unit.define(new QualifiedNameOptional(new QualifiedName(qualified)), source, torch.nativeResolver(),
          new SimpleSelf(module.type()));
    } catch (RuntimeException e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      throw new CrossalignException(CrossalignException.Kind.INTERNAL,
          "libtorch's TorchScript compiler refused the generated code: " + msg.lines().limit(12)
              .reduce((a, b) -> a + " | " + b).orElse(msg), e);
    }
  }

  public JitModule module() {
    return module;
  }

  /** Runs forward on the given inputs (at the module's boundary layout) with capture on or off. */
  public IValue forward(List<Tensor> inputs, boolean capture) {
    IValueVector args = new IValueVector();
    for (Tensor t : inputs) {
      args.push_back(new IValue(t));
    }
    args.push_back(new IValue(capture));
    return module.forward(args);
  }

  /** The TorchScript archive (model.pt) as bytes. */
  public byte[] archive() {
    Path tmp = null;
    try {
      tmp = Files.createTempFile("crossalign-", ".pt");
      module.save(tmp.toString());
      return Files.readAllBytes(tmp);
    } catch (IOException e) {
      throw CrossalignException.input("cannot write a temporary TorchScript archive: " + e.getMessage());
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a leftover temp file is harmless
        }
      }
    }
  }

  /**
   * The state_dict (attribute -> tensor, in registration order) in the zip format Python's torch.load reads:
   * libtorch's pickle_save of a Dict[str, Tensor] built by a TorchScript method of a throwaway module that shares
   * the tensors.
   */
  public byte[] stateDict() {
    try (CompilationUnit cu = new CompilationUnit();
        JitModule holder = new JitModule(new QualifiedName("__torch__.StateDict"), cu, true)) {
      return stateDict(cu, holder);
    }
  }

  private byte[] stateDict(CompilationUnit cu, JitModule holder) {
    StringBuilder src = new StringBuilder("def state(self) -> Dict[str, Tensor]:\n    d: Dict[str, Tensor] = {}\n");
    for (int i = 0; i < model.weights().size(); i++) {
      PyWeight w = model.weights().get(i);
      holder.register_buffer(w.attribute(), owned.get(i));
      src.append("    d[").append(Py.str(w.attribute())).append("] = self.").append(w.attribute()).append('\n');
    }
    src.append("    return d\n");
    define(cu, "__torch__.StateDict", holder, src.toString());
    IValue dict = holder.get_method("state").apply(new IValueVector());
    ByteVector bytes = torch.pickle_save(dict);
    long n = bytes.size();
    if (n > Integer.MAX_VALUE - 16) {
      throw CrossalignException.unsupported("weights of more than 2 GiB cannot be written as one weights.pth");
    }
    byte[] out = new byte[(int) n];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return out;
  }

  /** Writes model.pt atomically. */
  public void saveArchive(Path target) {
    AtomicFiles.write(target, archive());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Tensor t : owned) {
      t.close();
    }
    owned.clear();
    module.close();
    unit.close();
  }
}
