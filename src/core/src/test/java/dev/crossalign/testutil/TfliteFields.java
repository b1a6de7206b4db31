package dev.crossalign.testutil;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the fields of a .tflite flatbuffer sit in its bytes, found by a walk of its own (independent of the reader
 * under test), so that a fuzzer can change one field and know what it changed. Covers the main subgraph's operators
 * (inputs, outputs, opcode index, builtin options' scalars), tensors (type, shape, buffer index), buffers (data
 * length, offset, size) and every vtable entry met on the way. Assumes a well-formed file (a real model).
 */
public final class TfliteFields {
  /** What a location holds. */
  public enum Kind {
    OP_INPUT, OP_OUTPUT, OP_OPCODE, OPTION_FIELD, TENSOR_TYPE, TENSOR_SHAPE_DIM, TENSOR_SHAPE_LEN, TENSOR_BUFFER,
    BUFFER_DATA_LEN, BUFFER_OFFSET, BUFFER_SIZE, VTABLE_ENTRY,
    /** An operator's custom_options vector: pos is its length prefix, op the operator. */
    CUSTOM_OPTIONS,
    /** An operator code's custom_code string: pos is its length prefix, op the operator code's index. */
    CUSTOM_CODE
  }

  /**
   * One field: its byte position and width (4 for ints, 1 for a type byte, 2 for a vtable entry, 8 for offsets; an
   * option scalar's width is a guess from the gap to the next field, at most 4).
   *
   * @param op the operator index for OP_* and OPTION_FIELD, the buffer index for BUFFER_DATA_LEN, else -1
   * @param slot the input/output position for OP_INPUT/OP_OUTPUT, else -1
   * @param opcode the operator's builtin code for OP_* and OPTION_FIELD, else -1
   */
  public record Field(Kind kind, int pos, int width, int op, int slot, int opcode) {}

  private final ByteBuffer b;
  private final List<Field> fields = new ArrayList<>();
  private int tensorCount;
  private int bufferCount;
  private int[] shapeAt = new int[0];
  private int[] typeAt = new int[0];

  private TfliteFields(byte[] data) {
    this.b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
  }

  public static TfliteFields of(byte[] data) {
    TfliteFields f = new TfliteFields(data);
    f.walk();
    return f;
  }

  public List<Field> fields() {
    return fields;
  }

  public List<Field> of(Kind kind) {
    return fields.stream().filter(x -> x.kind() == kind).toList();
  }

  public int tensorCount() {
    return tensorCount;
  }

  public int bufferCount() {
    return bufferCount;
  }

  /** Position of a main-subgraph tensor's shape vector (its length prefix), or -1 when it has none. */
  public int shapeAt(int tensor) {
    return shapeAt[tensor];
  }

  /** Position of a main-subgraph tensor's type byte, or -1 when the file leaves it at its default (FLOAT32). */
  public int typeAt(int tensor) {
    return typeAt[tensor];
  }

  private void walk() {
    int model = b.getInt(0);
    noteVtable(model);
    int[] codes = tables(field(model, 1));
    int[] builtinOfCode = new int[codes.length];
    for (int i = 0; i < codes.length; i++) {
      int c = codes[i];
      int deprecated = field(c, 0) == 0 ? 0 : b.get(field(c, 0));
      int code = field(c, 3) == 0 ? 0 : b.getInt(field(c, 3));
      builtinOfCode[i] = Math.max(deprecated, code);
      if (field(c, 1) != 0) {
        fields.add(new Field(Kind.CUSTOM_CODE, deref(field(c, 1)), 4, i, -1, builtinOfCode[i]));
      }
    }
    int[] subgraphs = tables(field(model, 2));
    int[] buffers = tables(field(model, 4));
    bufferCount = buffers.length;
    for (int bi = 0; bi < buffers.length; bi++) {
      int buf = buffers[bi];
      noteVtable(buf);
      int data = field(buf, 0);
      if (data != 0) {
        fields.add(new Field(Kind.BUFFER_DATA_LEN, deref(data), 4, bi, -1, -1));
      }
      if (field(buf, 1) != 0) {
        fields.add(new Field(Kind.BUFFER_OFFSET, field(buf, 1), 8, -1, -1, -1));
      }
      if (field(buf, 2) != 0) {
        fields.add(new Field(Kind.BUFFER_SIZE, field(buf, 2), 8, -1, -1, -1));
      }
    }
    int sg = subgraphs[0];
    noteVtable(sg);
    int[] tensors = tables(field(sg, 0));
    tensorCount = tensors.length;
    shapeAt = new int[tensors.length];
    typeAt = new int[tensors.length];
    for (int k = 0; k < tensors.length; k++) {
      int t = tensors[k];
      noteVtable(t);
      int shape = field(t, 0);
      shapeAt[k] = shape == 0 ? -1 : deref(shape);
      typeAt[k] = field(t, 1) == 0 ? -1 : field(t, 1);
      if (shape != 0) {
        int v = deref(shape);
        fields.add(new Field(Kind.TENSOR_SHAPE_LEN, v, 4, -1, -1, -1));
        int n = b.getInt(v);
        for (int i = 0; i < n; i++) {
          fields.add(new Field(Kind.TENSOR_SHAPE_DIM, v + 4 + 4 * i, 4, -1, -1, -1));
        }
      }
      if (field(t, 1) != 0) {
        fields.add(new Field(Kind.TENSOR_TYPE, field(t, 1), 1, -1, -1, -1));
      }
      if (field(t, 2) != 0) {
        fields.add(new Field(Kind.TENSOR_BUFFER, field(t, 2), 4, -1, -1, -1));
      }
    }
    int[] ops = tables(field(sg, 3));
    for (int i = 0; i < ops.length; i++) {
      int o = ops[i];
      noteVtable(o);
      int opcodeIndex = field(o, 0) == 0 ? 0 : b.getInt(field(o, 0));
      int opcode = opcodeIndex >= 0 && opcodeIndex < builtinOfCode.length ? builtinOfCode[opcodeIndex] : -1;
      if (field(o, 0) != 0) {
        fields.add(new Field(Kind.OP_OPCODE, field(o, 0), 4, i, -1, opcode));
      }
      addIndices(Kind.OP_INPUT, field(o, 1), i, opcode);
      addIndices(Kind.OP_OUTPUT, field(o, 2), i, opcode);
      if (field(o, 5) != 0) {
        fields.add(new Field(Kind.CUSTOM_OPTIONS, deref(field(o, 5)), 4, i, -1, opcode));
      }
      int opt = field(o, 4);
      if (opt != 0) {
        int table = deref(opt);
        noteVtable(table);
        int vt = table - b.getInt(table);
        int vtSize = Short.toUnsignedInt(b.getShort(vt));
        int tableSize = Short.toUnsignedInt(b.getShort(vt + 2));
        List<Integer> offs = new ArrayList<>();
        for (int e = 4; e < vtSize; e += 2) {
          int off = Short.toUnsignedInt(b.getShort(vt + e));
          if (off != 0) {
            offs.add(off);
          }
        }
        offs.sort(null);
        for (int k = 0; k < offs.size(); k++) {
          int end = k + 1 < offs.size() ? offs.get(k + 1) : tableSize;
          int width = Math.max(1, Math.min(4, end - offs.get(k)));
          fields.add(new Field(Kind.OPTION_FIELD, table + offs.get(k), width, i, -1, opcode));
        }
      }
    }
  }

  private void addIndices(Kind kind, int vecField, int op, int opcode) {
    if (vecField == 0) {
      return;
    }
    int v = deref(vecField);
    int n = b.getInt(v);
    for (int i = 0; i < n; i++) {
      fields.add(new Field(kind, v + 4 + 4 * i, 4, op, i, opcode));
    }
  }

  private void noteVtable(int table) {
    int vt = table - b.getInt(table);
    int vtSize = Short.toUnsignedInt(b.getShort(vt));
    for (int e = 4; e < vtSize; e += 2) {
      fields.add(new Field(Kind.VTABLE_ENTRY, vt + e, 2, -1, -1, -1));
    }
  }

  /** Absolute position of a table's field, 0 when absent. */
  private int field(int table, int index) {
    int vt = table - b.getInt(table);
    int vtSize = Short.toUnsignedInt(b.getShort(vt));
    int e = 4 + 2 * index;
    if (e + 2 > vtSize) {
      return 0;
    }
    int off = Short.toUnsignedInt(b.getShort(vt + e));
    return off == 0 ? 0 : table + off;
  }

  private int deref(int pos) {
    return pos + b.getInt(pos);
  }

  private int[] tables(int vecField) {
    if (vecField == 0) {
      return new int[0];
    }
    int v = deref(vecField);
    int n = b.getInt(v);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = deref(v + 4 + 4 * i);
    }
    return out;
  }
}
