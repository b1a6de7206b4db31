package dev.crossalign.backend.tflite;

import com.google.flatbuffers.Table;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads Model.operator_codes from a model buffer that TFLite's verifier has already accepted (so every offset read
 * here is known to be in bounds). Used only to name the ops an op resolver lacks; the full reader is dev.crossalign.tflite.
 */
final class OperatorCodes {
  /** BuiltinOperator.CUSTOM in schema.fbs. */
  static final int CUSTOM = 32;

  /** One entry of Model.operator_codes. {@code customCode} is null for builtins. */
  record Code(int builtinCode, String customCode, int version) {
    boolean isCustom() {
      return builtinCode == CUSTOM;
    }
  }

  private OperatorCodes() {}

  /** @param verifiedModel the very bytes the verifier checked (not a caller's array that could change since) */
  static List<Code> read(ByteBuffer verifiedModel) {
    ByteBuffer bb = verifiedModel.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    Node model = new Node(bb.getInt(0), bb);
    int codesField = model.field(1); // Model.operator_codes
    List<Code> codes = new ArrayList<>();
    if (codesField == 0) {
      return codes;
    }
    int n = model.vectorLength(codesField);
    int start = model.vectorStart(codesField);
    for (int i = 0; i < n; i++) {
      Node code = new Node(model.indirectAt(start + 4 * i), bb);
      int deprecated = code.byteField(0, 0);
      String custom = code.stringField(1);
      int version = code.intField(2, 1);
      int builtin = code.intField(3, 0);
      // schema >= 2.4: the real code is the larger of the two fields (the deprecated one saturates at 127).
      codes.add(new Code(Math.max(deprecated, builtin), custom, version));
    }
    return codes;
  }

  /** Table accessor over the generic flatbuffers runtime (field ids, not generated classes). */
  private static final class Node extends Table {
    Node(int pos, ByteBuffer bb) {
      __reset(pos, bb);
    }

    int field(int id) {
      return __offset(4 + 2 * id);
    }

    int vectorLength(int off) {
      return __vector_len(off);
    }

    int vectorStart(int off) {
      return __vector(off);
    }

    int indirectAt(int absolute) {
      return __indirect(absolute);
    }

    int byteField(int id, int dflt) {
      int o = field(id);
      return o == 0 ? dflt : bb.get(bb_pos + o);
    }

    int intField(int id, int dflt) {
      int o = field(id);
      return o == 0 ? dflt : bb.getInt(bb_pos + o);
    }

    String stringField(int id) {
      int o = field(id);
      return o == 0 ? null : __string(bb_pos + o);
    }
  }
}
