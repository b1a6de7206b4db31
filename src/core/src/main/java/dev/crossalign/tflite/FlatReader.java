package dev.crossalign.tflite;

import dev.crossalign.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked access to a FlatBuffer: every offset, vtable and vector length is validated against the buffer
 * before it is followed, so a hostile file becomes a {@link ModelFormatException} with the byte offset instead of an
 * IndexOutOfBoundsException (or, worse, a pointer handed to native code).
 */
final class FlatReader {
  /** Vectors longer than this are refused outright: no real model has a billion tensors or ops. */
  private static final int MAX_VECTOR_LENGTH = 1 << 28;

  private final ByteBuffer bb;
  private final int limit;
  private int tablesVisited;

  FlatReader(ByteBuffer buffer) {
    this.bb = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.limit = bb.limit();
  }

  int limit() {
    return limit;
  }

  ByteBuffer buffer() {
    return bb;
  }

  private void need(long pos, long len, String what) {
    if (pos < 0 || len < 0 || pos + len > limit) {
      throw new ModelFormatException(
          "truncated or corrupt model: " + what + " needs " + len + " bytes but the file has " + limit, pos);
    }
  }

  int i32(int pos, String what) {
    need(pos, 4, what);
    return bb.getInt(pos);
  }

  /** Position of the root table. */
  int root() {
    int off = i32(0, "root offset");
    return checkTable(off, "root table");
  }

  private int checkTable(long pos, String what) {
    need(pos, 4, what);
    if ((pos & 3) != 0) {
      throw new ModelFormatException(what + " is not 4-byte aligned", pos);
    }
    int tablePos = (int) pos;
    long vt = (long) tablePos - bb.getInt(tablePos);
    need(vt, 4, what + " vtable");
    int vtLen = Short.toUnsignedInt(bb.getShort((int) vt));
    int objLen = Short.toUnsignedInt(bb.getShort((int) vt + 2));
    if (vtLen < 4 || (vtLen & 1) != 0) {
      throw new ModelFormatException(what + " has a bad vtable length " + vtLen, vt);
    }
    need(vt, vtLen, what + " vtable");
    need(tablePos, objLen, what);
    if (++tablesVisited > 50_000_000) {
      throw new ModelFormatException("too many tables: the file is not a sane model", pos);
    }
    return tablePos;
  }

  /** Absolute position of field {@code index} of the table at {@code table}, or 0 if absent. */
  int field(int table, int index) {
    int vt = table - bb.getInt(table);
    int vtLen = Short.toUnsignedInt(bb.getShort(vt));
    int slot = 4 + 2 * index;
    if (slot + 2 > vtLen) {
      return 0;
    }
    int off = Short.toUnsignedInt(bb.getShort(vt + slot));
    if (off == 0) {
      return 0;
    }
    int objLen = Short.toUnsignedInt(bb.getShort(vt + 2));
    if (off >= objLen) {
      throw new ModelFormatException("field " + index + " lies outside its table", table);
    }
    return table + off;
  }

  boolean has(int table, int index) {
    return field(table, index) != 0;
  }

  int intField(int table, int index, int dflt) {
    int p = field(table, index);
    return p == 0 ? dflt : i32(p, "int field");
  }

  long uintField(int table, int index, long dflt) {
    int p = field(table, index);
    return p == 0 ? dflt : Integer.toUnsignedLong(i32(p, "uint field"));
  }

  long longField(int table, int index, long dflt) {
    int p = field(table, index);
    if (p == 0) {
      return dflt;
    }
    need(p, 8, "long field");
    return bb.getLong(p);
  }

  float floatField(int table, int index, float dflt) {
    int p = field(table, index);
    if (p == 0) {
      return dflt;
    }
    need(p, 4, "float field");
    return bb.getFloat(p);
  }

  int byteField(int table, int index, int dflt) {
    int p = field(table, index);
    if (p == 0) {
      return dflt;
    }
    need(p, 1, "byte field");
    return bb.get(p);
  }

  int ubyteField(int table, int index, int dflt) {
    int p = field(table, index);
    if (p == 0) {
      return dflt;
    }
    need(p, 1, "byte field");
    return bb.get(p) & 0xff;
  }

  boolean boolField(int table, int index, boolean dflt) {
    int p = field(table, index);
    if (p == 0) {
      return dflt;
    }
    need(p, 1, "bool field");
    return bb.get(p) != 0;
  }

  private int deref(int p, String what) {
    long target = (long) p + Integer.toUnsignedLong(i32(p, what));
    need(target, 4, what);
    return (int) target;
  }

  /** Position of the sub-table in field {@code index}, or 0 if absent. */
  int tableField(int table, int index, String what) {
    int p = field(table, index);
    if (p == 0) {
      return 0;
    }
    return checkTable(deref(p, what), what);
  }

  /** A vector reference: position of its first element and its length. */
  record Vec(int start, int length) {
    static final Vec EMPTY = new Vec(0, 0);
  }

  Vec vectorField(int table, int index, int elementSize, String what) {
    int p = field(table, index);
    if (p == 0) {
      return Vec.EMPTY;
    }
    int v = deref(p, what);
    int len = i32(v, what + " length");
    if (len < 0 || len > MAX_VECTOR_LENGTH) {
      throw new ModelFormatException(what + " has an impossible length " + Integer.toUnsignedLong(len), v);
    }
    need((long) v + 4, (long) len * elementSize, what);
    return new Vec(v + 4, len);
  }

  int[] intVector(int table, int index, String what) {
    Vec v = vectorField(table, index, 4, what);
    int[] out = new int[v.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.getInt(v.start() + 4 * i);
    }
    return out;
  }

  long[] longVector(int table, int index, String what) {
    Vec v = vectorField(table, index, 8, what);
    long[] out = new long[v.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.getLong(v.start() + 8 * i);
    }
    return out;
  }

  float[] floatVector(int table, int index, String what) {
    Vec v = vectorField(table, index, 4, what);
    float[] out = new float[v.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.getFloat(v.start() + 4 * i);
    }
    return out;
  }

  int[] ushortVectorAsInts(int table, int index, String what) {
    Vec v = vectorField(table, index, 2, what);
    int[] out = new int[v.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Short.toUnsignedInt(bb.getShort(v.start() + 2 * i));
    }
    return out;
  }

  int[] ubyteVectorAsInts(int table, int index, String what) {
    Vec v = vectorField(table, index, 1, what);
    int[] out = new int[v.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.get(v.start() + i) & 0xff;
    }
    return out;
  }

  /** Table positions of a vector of tables. */
  int[] tableVector(int table, int index, String what) {
    Vec v = vectorField(table, index, 4, what);
    int[] out = new int[v.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = checkTable(deref(v.start() + 4 * i, what), what + "[" + i + "]");
    }
    return out;
  }

  String stringField(int table, int index, String what) {
    Vec v = vectorField(table, index, 1, what);
    if (v == Vec.EMPTY) {
      return null;
    }
    byte[] bytes = new byte[v.length()];
    bb.get(v.start(), bytes);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ModelFormatException(what + " is not valid UTF-8", v.start());
    }
  }

  String[] stringVector(int table, int index, String what) {
    Vec v = vectorField(table, index, 4, what);
    String[] out = new String[v.length()];
    for (int i = 0; i < out.length; i++) {
      int s = deref(v.start() + 4 * i, what);
      int len = i32(s, what);
      if (len < 0) {
        throw new ModelFormatException(what + " has a negative length", s);
      }
      need((long) s + 4, len, what);
      byte[] bytes = new byte[len];
      bb.get(s + 4, bytes);
      out[i] = new String(bytes, StandardCharsets.UTF_8);
    }
    return out;
  }
}
