package dev.crossalign.cli;

import dev.crossalign.testutil.TfliteFields;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Field-aware mutants of real files, each reproducible from (seed, case number): .tflite (operator input/output
 * indices including -1 and out-of-range, opcode indices, builtin option fields, tensor types, shapes and buffer
 * indices, buffer lengths and offsets, vtable entries, truncation), ONNX (varints rewritten in place, length
 * prefixes, tags, and on decoded ONNX fields: dims, dtypes, op types, attributes, external-data locations) and .npy
 * (magic, version, header length, descr, shape, fortran_order, truncation and trailing bytes).
 */
final class FuzzMutants {
  private FuzzMutants() {}

  /** One mutant: what was changed (the mutation's kind, for the counts) and the bytes. */
  record Mutant(String kind, byte[] bytes) {}

  // --- TFLite ------------------------------------------------------------------------------------------------

  /** The kinds of .tflite mutation, each with its own share of the cases. */
  enum TfliteKind { OP_INPUT, OP_INPUT_ABSENT, OP_OUTPUT, OP_OPCODE, OPTION_FIELD, TENSOR_TYPE, TENSOR_SHAPE,
    TENSOR_BUFFER, BUFFER_FIELD, VTABLE, TRUNCATION }

  static Mutant tflite(byte[] original, TfliteFields fields, long seed, int caseNo) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + caseNo);
    TfliteKind kind = TfliteKind.values()[caseNo % TfliteKind.values().length];
    byte[] b = original.clone();
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int nt = fields.tensorCount();
    switch (kind) {
      case OP_INPUT, OP_INPUT_ABSENT, OP_OUTPUT -> {
        List<TfliteFields.Field> fs = fields.of(kind == TfliteKind.OP_OUTPUT ? TfliteFields.Kind.OP_OUTPUT
            : TfliteFields.Kind.OP_INPUT);
        TfliteFields.Field f = pick(fs, rnd);
        int v = kind == TfliteKind.OP_INPUT_ABSENT ? -1 : switch (rnd.nextInt(6)) {
          case 0 -> -1;
          case 1 -> nt;
          case 2 -> nt + rnd.nextInt(1, 1 << 20);
          case 3 -> -2 - rnd.nextInt(1000);
          default -> rnd.nextInt(nt); // another tensor: wrong rank, dtype or a cycle
        };
        bb.putInt(f.pos(), v);
      }
      case OP_OPCODE -> bb.putInt(pick(fields.of(TfliteFields.Kind.OP_OPCODE), rnd).pos(), smallOrWild(rnd, 40));
      case OPTION_FIELD -> {
        TfliteFields.Field f = pick(fields.of(TfliteFields.Kind.OPTION_FIELD), rnd);
        putWidth(bb, f.pos(), f.width(), switch (rnd.nextInt(5)) {
          case 0 -> 0;
          case 1 -> -1;
          case 2 -> rnd.nextInt(8);
          case 3 -> Integer.MAX_VALUE;
          default -> rnd.nextInt();
        });
      }
      case TENSOR_TYPE -> b[pick(fields.of(TfliteFields.Kind.TENSOR_TYPE), rnd).pos()] =
          (byte) (rnd.nextBoolean() ? rnd.nextInt(19) : rnd.nextInt(256));
      case TENSOR_SHAPE -> {
        if (rnd.nextInt(4) == 0) {
          bb.putInt(pick(fields.of(TfliteFields.Kind.TENSOR_SHAPE_LEN), rnd).pos(), rnd.nextInt(10));
        } else {
          bb.putInt(pick(fields.of(TfliteFields.Kind.TENSOR_SHAPE_DIM), rnd).pos(), switch (rnd.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1;
            case 3 -> 1 << rnd.nextInt(31);
            case 4 -> rnd.nextInt(2, 64);
            default -> rnd.nextInt();
          });
        }
      }
      case TENSOR_BUFFER -> bb.putInt(pick(fields.of(TfliteFields.Kind.TENSOR_BUFFER), rnd).pos(),
          rnd.nextBoolean() ? rnd.nextInt(fields.bufferCount()) : smallOrWild(rnd, fields.bufferCount() + 2));
      case BUFFER_FIELD -> {
        List<TfliteFields.Field> fs = new ArrayList<>(fields.of(TfliteFields.Kind.BUFFER_DATA_LEN));
        fs.addAll(fields.of(TfliteFields.Kind.BUFFER_OFFSET));
        fs.addAll(fields.of(TfliteFields.Kind.BUFFER_SIZE));
        TfliteFields.Field f = pick(fs, rnd);
        if (f.width() == 8) {
          bb.putLong(f.pos(), rnd.nextBoolean() ? rnd.nextLong(b.length * 2L) : rnd.nextLong());
        } else {
          bb.putInt(f.pos(), rnd.nextBoolean() ? bb.getInt(f.pos()) + rnd.nextInt(-64, 65) : rnd.nextInt());
        }
      }
      case VTABLE -> {
        TfliteFields.Field f = pick(fields.of(TfliteFields.Kind.VTABLE_ENTRY), rnd);
        int old = Short.toUnsignedInt(bb.getShort(f.pos()));
        bb.putShort(f.pos(), (short) (rnd.nextBoolean() ? 0 : rnd.nextBoolean() ? old + 4 * rnd.nextInt(-3, 4)
            : rnd.nextInt(1 << 16)));
      }
      case TRUNCATION -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
      default -> throw new AssertionError(kind);
    }
    return new Mutant("tflite." + kind.name().toLowerCase(), b);
  }

  private static int smallOrWild(SplittableRandom rnd, int bound) {
    return rnd.nextBoolean() ? rnd.nextInt(bound) : rnd.nextInt();
  }

  private static void putWidth(ByteBuffer bb, int pos, int width, int v) {
    switch (width) {
      case 1 -> bb.put(pos, (byte) v);
      case 2, 3 -> bb.putShort(pos, (short) v);
      default -> bb.putInt(pos, v);
    }
  }

  private static <T> T pick(List<T> xs, SplittableRandom rnd) {
    return xs.get(rnd.nextInt(xs.size()));
  }

  // --- ONNX (protobuf wire format) ---------------------------------------------------------------------------

  /** A varint somewhere in the message tree: its position, encoded length, role and field path. */
  record Varint(int pos, int len, long value, Role role, String path) {}

  enum Role { TAG, VALUE, LENGTH }

  /** The kinds of ONNX mutation. */
  enum OnnxKind { VARINT, LENGTH, TAG, DIMS, DTYPE, OP_TYPE, ATTRIBUTE, EXTERNAL_DATA, NODE_IO, TRUNCATION }

  /**
   * Every varint of a protobuf message, recursing into length-delimited fields that parse as messages. The path names
   * field numbers from the root (e.g. "7.5.8" = graph.initializer.data_type in ModelProto).
   */
  static List<Varint> varints(byte[] b) {
    List<Varint> out = new ArrayList<>();
    walk(b, 0, b.length, "", out, 0);
    return out;
  }

  private static boolean walk(byte[] b, int from, int to, String path, List<Varint> out, int depth) {
    int p = from;
    int mark = out.size();
    while (p < to) {
      long[] tag = readVarint(b, p, to);
      if (tag == null) {
        truncate(out, mark);
        return false;
      }
      int field = (int) (tag[0] >>> 3);
      int wire = (int) (tag[0] & 7);
      String fp = path.isEmpty() ? Integer.toString(field) : path + "." + field;
      out.add(new Varint(p, (int) tag[1], tag[0], Role.TAG, fp));
      p += (int) tag[1];
      switch (wire) {
        case 0 -> {
          long[] v = readVarint(b, p, to);
          if (v == null) {
            truncate(out, mark);
            return false;
          }
          out.add(new Varint(p, (int) v[1], v[0], Role.VALUE, fp));
          p += (int) v[1];
        }
        case 1 -> p += 8;
        case 5 -> p += 4;
        case 2 -> {
          long[] len = readVarint(b, p, to);
          if (len == null || len[0] < 0 || p + len[1] + len[0] > to) {
            truncate(out, mark);
            return false;
          }
          out.add(new Varint(p, (int) len[1], len[0], Role.LENGTH, fp));
          p += (int) len[1];
          int end = p + (int) len[0];
          if (depth < 12 && len[0] > 0) {
            walk(b, p, end, fp, out, depth + 1); // a string or packed field simply fails to parse as a message
          }
          p = end;
        }
        default -> {
          truncate(out, mark);
          return false;
        }
      }
      if (field == 0 || p > to) {
        truncate(out, mark);
        return false;
      }
    }
    return true;
  }

  private static void truncate(List<Varint> out, int mark) {
    while (out.size() > mark) {
      out.remove(out.size() - 1);
    }
  }

  /** {value, encoded length} or null. */
  private static long[] readVarint(byte[] b, int p, int to) {
    long v = 0;
    for (int i = 0; i < 10 && p + i < to; i++) {
      v |= (long) (b[p + i] & 0x7f) << (7 * i);
      if ((b[p + i] & 0x80) == 0) {
        return new long[] {v, i + 1};
      }
    }
    return null;
  }

  /** Rewrites a varint in place with the same encoded length (non-minimal encodings are legal protobuf). */
  private static void putVarint(byte[] b, int pos, int len, long value) {
    long v = len < 10 ? value & ((1L << (7 * len)) - 1) : value;
    for (int i = 0; i < len; i++) {
      b[pos + i] = (byte) ((v & 0x7f) | (i < len - 1 ? 0x80 : 0));
      v >>>= 7;
    }
  }

  /** ONNX ModelProto field paths (model.graph = 7; graph.node = 1, initializer = 5, input = 11, output = 12). */
  private static final String INIT = "7.5";

  static Mutant onnx(byte[] original, List<Varint> vs, long seed, int caseNo) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_033L + caseNo);
    OnnxKind kind = OnnxKind.values()[caseNo % OnnxKind.values().length];
    byte[] b = original.clone();
    switch (kind) {
      case VARINT -> rewrite(b, pick(filter(vs, Role.VALUE, null), rnd), rnd);
      case LENGTH -> {
        Varint v = pick(filter(vs, Role.LENGTH, null), rnd);
        putVarint(b, v.pos(), v.len(), rnd.nextBoolean() ? v.value() + rnd.nextInt(-8, 9) : rnd.nextLong());
      }
      case TAG -> {
        Varint v = pick(filter(vs, Role.TAG, null), rnd);
        long wire = rnd.nextInt(3) == 0 ? rnd.nextInt(8) : v.value() & 7;
        long field = rnd.nextBoolean() ? rnd.nextInt(1, 32) : (v.value() >>> 3);
        putVarint(b, v.pos(), v.len(), field << 3 | wire);
      }
      // TensorProto.dims = 1; TensorShapeProto.Dimension.dim_value = 1 (under value_info ... 2.1.1.2.1)
      case DIMS -> rewrite(b, pick(orAll(vs, x -> x.role() == Role.VALUE
          && (x.path().equals(INIT + ".1") || x.path().endsWith(".2.1.2.1.1"))), rnd), rnd);
      // TensorProto.data_type = 2; TypeProto.Tensor.elem_type = 1 (graph input/output: 7.11/7.12 .2.1.1)
      case DTYPE -> {
        Varint v = pick(orAll(vs, x -> x.role() == Role.VALUE
            && (x.path().equals(INIT + ".2") || x.path().matches("7\\.1[12]\\.2\\.1\\.1"))), rnd);
        putVarint(b, v.pos(), v.len(), rnd.nextBoolean() ? rnd.nextInt(0, 25) : rnd.nextInt(1 << 7 * Math.min(v.len(), 4)));
      }
      // NodeProto.op_type = 4: a string; rewrite its bytes
      case OP_TYPE -> {
        Varint v = pick(orAll(vs, x -> x.role() == Role.LENGTH && x.path().equals("7.1.4")), rnd);
        int start = v.pos() + v.len();
        String[] names = {"Conv", "Add", "Pad", "Gemm", "Relu", "Reshape", "Concat", "MaxPool", "Resize", "Slice",
            "Transpose", "Unsqueeze", "Gather", "Loop", "If", "Scan"};
        byte[] name = names[rnd.nextInt(names.length)].getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < v.value(); i++) {
          b[start + i] = i < name.length ? name[i] : (byte) rnd.nextInt(0x20, 0x7f);
        }
      }
      // NodeProto.attribute = 5: AttributeProto i = 3, ints = 8, type = 20, f = 2 (fixed32)
      case ATTRIBUTE -> {
        Varint v = pick(orAll(vs, x -> x.path().startsWith("7.1.5.")
            && (x.role() == Role.VALUE || x.role() == Role.LENGTH)), rnd);
        rewrite(b, v, rnd);
      }
      // TensorProto.data_location = 14 (1 = EXTERNAL) plus external_data = 13 entries' strings
      case EXTERNAL_DATA -> {
        List<Varint> locs = orAll(vs, x -> x.role() == Role.VALUE && x.path().equals(INIT + ".14"));
        List<Varint> raw = orAll(vs, x -> x.role() == Role.TAG && x.path().equals(INIT + ".9"));
        if (!locs.isEmpty() && rnd.nextBoolean()) {
          Varint v = pick(locs, rnd);
          putVarint(b, v.pos(), v.len(), rnd.nextInt(3));
        } else {
          // Turn an initializer's raw_data field into an external_data entry pointing somewhere it must not read:
          // the raw bytes become the entry's body, which is garbage or, as often, a location of our choosing.
          Varint tag = pick(raw, rnd);
          putVarint(b, tag.pos(), tag.len(), 13L << 3 | 2);
          Varint len = vs.get(vs.indexOf(tag) + 1);
          int start = len.pos() + len.len();
          byte[] entry = externalEntry(rnd);
          if (len.value() >= entry.length) {
            System.arraycopy(entry, 0, b, start, entry.length);
            Arrays.fill(b, start + entry.length, start + (int) len.value(), (byte) 0);
          }
        }
      }
      // NodeProto.input = 1 / output = 2: rename to an unknown, empty or other value
      case NODE_IO -> {
        Varint v = pick(orAll(vs, x -> x.role() == Role.LENGTH && (x.path().equals("7.1.1") || x.path().equals("7.1.2"))), rnd);
        int start = v.pos() + v.len();
        for (int i = 0; i < v.value(); i++) {
          b[start + i] = rnd.nextInt(4) == 0 ? (byte) rnd.nextInt(256) : (byte) rnd.nextInt(0x30, 0x7b);
        }
      }
      case TRUNCATION -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
      default -> throw new AssertionError(kind);
    }
    return new Mutant("onnx." + kind.name().toLowerCase(), b);
  }

  /**
   * An external_data StringStringEntryProto "location" -> a path outside the model's folder, preceded by filler so the
   * entry fits the raw_data it replaces: absolute paths, parent escapes, the current directory.
   */
  private static byte[] externalEntry(SplittableRandom rnd) {
    String[] where = {"/etc/passwd", "../../../../etc/passwd", "..", ".", "/dev/zero", "missing.bin", "/proc/self/mem"};
    byte[] key = "location".getBytes(StandardCharsets.US_ASCII);
    byte[] val = where[rnd.nextInt(where.length)].getBytes(StandardCharsets.US_ASCII);
    ByteBuffer e = ByteBuffer.allocate(4 + key.length + val.length);
    e.put((byte) (1 << 3 | 2)).put((byte) key.length).put(key).put((byte) (2 << 3 | 2)).put((byte) val.length).put(val);
    return e.array();
  }

  private static void rewrite(byte[] b, Varint v, SplittableRandom rnd) {
    long value = switch (rnd.nextInt(6)) {
      case 0 -> 0;
      case 1 -> -1;
      case 2 -> v.value() + rnd.nextInt(-3, 4);
      case 3 -> 1L << rnd.nextInt(63);
      case 4 -> rnd.nextInt(1, 64);
      default -> rnd.nextLong();
    };
    putVarint(b, v.pos(), v.len(), value);
  }

  private static List<Varint> filter(List<Varint> vs, Role role, String path) {
    return vs.stream().filter(v -> v.role() == role && (path == null || v.path().equals(path))).toList();
  }

  /** Those matching, or every varint when none does (a model without that field still gets a mutation). */
  private static List<Varint> orAll(List<Varint> vs, java.util.function.Predicate<Varint> p) {
    List<Varint> m = vs.stream().filter(p).toList();
    return m.isEmpty() ? vs : m;
  }

  // --- .npy --------------------------------------------------------------------------------------------------

  enum NpyKind { MAGIC, VERSION, HEADER_LEN, DESCR, SHAPE, FORTRAN, HEADER_BYTES, TRUNCATION, TRAILING }

  /** A valid .npy (version 1.0) of a float32 tensor with this shape and seed-drawn values. */
  static byte[] npy(String descr, int[] shape, SplittableRandom rnd, int itemSize) {
    StringBuilder s = new StringBuilder("(");
    long n = 1;
    for (int d : shape) {
      s.append(d).append(shape.length == 1 ? ",)" : ", ");
      n *= d;
    }
    String shapeText = shape.length == 1 ? s.toString() : s.substring(0, Math.max(1, s.length() - 2)) + ")";
    if (shape.length == 0) {
      shapeText = "()";
    }
    String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
    int total = 10 + header.length() + 1;
    int pad = (64 - total % 64) % 64;
    header = header + " ".repeat(pad) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + (int) n * itemSize).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) {
      b.put((byte) rnd.nextInt(256));
    }
    return b.array();
  }

  static Mutant npy(byte[] original, long seed, int caseNo) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_037L + caseNo);
    NpyKind kind = NpyKind.values()[caseNo % NpyKind.values().length];
    byte[] b = original.clone();
    int hlen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
    String header = new String(b, 10, hlen, StandardCharsets.US_ASCII);
    switch (kind) {
      case MAGIC -> b[rnd.nextInt(6)] ^= (byte) (1 << rnd.nextInt(8));
      case VERSION -> {
        b[6] = (byte) rnd.nextInt(5);
        b[7] = (byte) rnd.nextInt(3);
      }
      case HEADER_LEN -> {
        int v = rnd.nextBoolean() ? hlen + rnd.nextInt(-16, 17) : rnd.nextInt(1 << 16);
        b[8] = (byte) v;
        b[9] = (byte) (v >> 8);
      }
      case DESCR -> b = replaceHeader(b, header, header.replaceFirst("'descr': '[^']*'",
          "'descr': '" + pick(List.of("<f8", "<f2", ">f4", "|b1", "<i8", "<c8", "|O", "<U4", "<f4x", "", "<f16",
              "<i4", "|u1", "V8"), rnd) + "'"));
      case SHAPE -> b = replaceHeader(b, header, header.replaceFirst("'shape': \\([^)]*\\)",
          "'shape': " + pick(List.of("()", "(0,)", "(-1, 3)", "(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)", "(2147483647, 2)",
              "(99999999999,)", "(1, 192, 192, 3)", "(3, 192, 192, 1)", "(1,,)", "('a',)", "(1.5,)"), rnd)));
      case FORTRAN -> b = replaceHeader(b, header, header.replace("False", rnd.nextBoolean() ? "True" : "1"));
      case HEADER_BYTES -> {
        int pos = 10 + rnd.nextInt(hlen);
        b[pos] = (byte) (rnd.nextBoolean() ? rnd.nextInt(0x20, 0x7f) : rnd.nextInt(256));
      }
      case TRUNCATION -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
      case TRAILING -> {
        int extra = rnd.nextInt(1, 64);
        b = Arrays.copyOf(b, b.length + extra);
      }
      default -> throw new AssertionError(kind);
    }
    return new Mutant("npy." + kind.name().toLowerCase(), b);
  }

  /** The file with its header text replaced (header length field updated, data kept). */
  private static byte[] replaceHeader(byte[] b, String oldHeader, String newHeader) {
    int hlen = oldHeader.length();
    byte[] nh = newHeader.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer out = ByteBuffer.allocate(b.length - hlen + nh.length);
    out.put(b, 0, 8).put((byte) nh.length).put((byte) (nh.length >> 8)).put(nh).put(b, 10 + hlen, b.length - 10 - hlen);
    return out.array();
  }
}
