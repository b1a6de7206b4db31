package dev.crossalign.engine.compare;

import java.nio.file.Path;
import org.bytedeco.pytorch.ClassType;
import org.bytedeco.pytorch.CompilationUnit;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.QualifiedNameOptional;
import org.bytedeco.pytorch.SimpleSelf;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Writes a TorchScript module without Python: a module class defined from TorchScript source through libtorch's
 * compiler (what torch::jit::Module::define does in C++), saved with Module::save, the format torch.jit.save writes.
 */
public final class TorchScriptFixture {
  private TorchScriptFixture() {}

  /** Saves a module whose forward is {@code body} (TorchScript lines, argument x) to {@code file}. */
  public static void save(Path file, String body) {
    save(file, "x", body);
  }

  /** Saves a module whose forward takes {@code params} (after self) and runs {@code body}. */
  public static void save(Path file, String params, String body) {
    String src = "def forward(self, " + params + "):\n    " + body.replace("\n", "\n    ") + "\n";
    CompilationUnit cu = new CompilationUnit();
    QualifiedName qn = new QualifiedName("__torch__.Fixture");
    ClassType ct = ClassType.create(new QualifiedNameOptional(qn), cu, true, "", new StringVector());
    JitModule m = new JitModule(cu, ct);
    cu.define(new QualifiedNameOptional(qn), src, torch.nativeResolver(),
        new SimpleSelf(ct));
    m.save(file.toString());
  }
}
