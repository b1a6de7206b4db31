package dev.crossalign.tflite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A FlexBuffers map as MediaPipe's custom ops store their custom_options (flatbuffers/flexbuffers.h: {@code
 * flexbuffers::GetRoot(data, size).AsMap()}), read-only and bounds-checked: the root is a map whose keys are strings
 * and whose values are scalars (int, uint, float, bool, inline or indirect) or typed vectors of them. Lookups follow
 * flexbuffers' conversions: a missing key reads as 0 or an empty vector (a Null reference), a float read as an int
 * truncates toward zero. Anything malformed (an offset outside the bytes, a root that is not a map) is an {@link
 * IllegalArgumentException} with a one-line reason.
 */
public final class FlexMap {
  private static final int T_INT = 1;
  private static final int T_UINT = 2;
  private static final int T_FLOAT = 3;
  private static final int T_INDIRECT_INT = 6;
  private static final int T_INDIRECT_UINT = 7;
  private static final int T_INDIRECT_FLOAT = 8;
  private static final int T_MAP = 9;
  private static final int T_VECTOR = 10;
  private static final int T_VECTOR_INT = 11;
  private static final int T_VECTOR_UINT = 12;
  private static final int T_VECTOR_FLOAT = 13;
  private static final int T_BOOL = 26;

  /** One value: its type, where its bytes start and their width, and (vectors) the width of their elements. */
  private record Ref(int type, int pos, int width) {}

  private final ByteBuffer b;
  private final Map<String, Ref> entries = new LinkedHashMap<>();

  private FlexMap(byte[] data) {
    this.b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Parses the root map of {@code data}; throws IllegalArgumentException when it is not a well-formed map. */
  public static FlexMap parse(byte[] data) {
    if (data == null || data.length < 3) {
      throw new IllegalArgumentException("custom_options of " + (data == null ? 0 : data.length)
          + " bytes, too short for a FlexBuffers map");
    }
    FlexMap m = new FlexMap(data);
    int rootWidth = data[data.length - 1] & 0xff;
    int packed = data[data.length - 2] & 0xff;
    m.checkWidth(rootWidth);
    int rootPos = data.length - 2 - rootWidth;
    m.check(rootPos, rootWidth);
    Ref root = m.child(rootPos, rootWidth, packed);
    if (root.type() != T_MAP) {
      throw new IllegalArgumentException("custom_options root is FlexBuffers type " + root.type() + ", not a map");
    }
    m.readEntries(root);
    return m;
  }

  /** The keys in the order stored (flexbuffers sorts them). */
  public java.util.Set<String> keys() {
    return entries.keySet();
  }

  public boolean has(String key) {
    return entries.containsKey(key);
  }

  /** {@code m[key].AsInt32()}: 0 when absent; a float truncates; a value outside int32 is refused. */
  public int int32(String key) {
    Ref r = entries.get(key);
    if (r == null) {
      return 0;
    }
    double v = scalar(r);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE || Double.isNaN(v)) {
      throw new IllegalArgumentException("option " + key + " = " + v + " is not an int32");
    }
    return (int) v;
  }

  /** {@code m[key].AsFloat()}: 0 when absent; an int converts. */
  public float float32(String key) {
    Ref r = entries.get(key);
    return r == null ? 0f : (float) scalar(r);
  }

  /** {@code m[key].AsTypedVector()} read element-wise with AsInt32: empty when absent. */
  public int[] int32s(String key) {
    Ref r = entries.get(key);
    if (r == null) {
      return new int[0];
    }
    int elemType = switch (r.type()) {
      case T_VECTOR_INT -> T_INT;
      case T_VECTOR_UINT -> T_UINT;
      case T_VECTOR_FLOAT -> T_FLOAT;
      default -> throw new IllegalArgumentException("option " + key + " is FlexBuffers type " + r.type()
          + ", not a typed vector of numbers");
    };
    int n = size(r.pos(), r.width());
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      double v = scalar(new Ref(elemType, r.pos() + i * r.width(), r.width()));
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE || Double.isNaN(v)) {
        throw new IllegalArgumentException("option " + key + "[" + i + "] = " + v + " is not an int32");
      }
      out[i] = (int) v;
    }
    return out;
  }

  private void readEntries(Ref map) {
    int w = map.width();
    int n = size(map.pos(), w);
    int keysField = map.pos() - 3 * w;
    check(keysField, 3 * w);
    int keysPos = (int) (keysField - unsigned(keysField, w));
    int keysWidth = (int) unsigned(map.pos() - 2 * w, w);
    checkWidth(keysWidth);
    if (size(keysPos, keysWidth) != n) {
      throw new IllegalArgumentException("FlexBuffers map has " + n + " values but a different number of keys");
    }
    check(map.pos(), n * w + n);
    for (int i = 0; i < n; i++) {
      int kp = keysPos + i * keysWidth;
      check(kp, keysWidth);
      String key = cString((int) (kp - unsigned(kp, keysWidth)));
      int packed = b.get(map.pos() + n * w + i) & 0xff;
      entries.put(key, child(map.pos() + i * w, w, packed));
    }
  }

  /** The value stored at {@code pos} (width {@code parentWidth}) with packed type byte {@code packed}. */
  private Ref child(int pos, int parentWidth, int packed) {
    int type = packed >> 2;
    int width = 1 << (packed & 3);
    checkWidth(width);
    return switch (type) {
      case T_INT, T_UINT, T_FLOAT, T_BOOL -> new Ref(type, pos, parentWidth);
      default -> {
        long target = pos - unsigned(pos, parentWidth);
        if (target < 0 || target >= b.capacity()) {
          throw new IllegalArgumentException("FlexBuffers offset at byte " + pos + " points outside the options");
        }
        int t = switch (type) {
          case T_INDIRECT_INT -> T_INT;
          case T_INDIRECT_UINT -> T_UINT;
          case T_INDIRECT_FLOAT -> T_FLOAT;
          default -> type;
        };
        yield new Ref(t, (int) target, width);
      }
    };
  }

  private double scalar(Ref r) {
    check(r.pos(), r.width());
    return switch (r.type()) {
      case T_INT, T_BOOL -> signed(r.pos(), r.width());
      case T_UINT -> unsigned(r.pos(), r.width());
      case T_FLOAT -> switch (r.width()) {
        case 4 -> b.getFloat(r.pos());
        case 8 -> b.getDouble(r.pos());
        default -> throw new IllegalArgumentException("FlexBuffers float of " + r.width() + " bytes");
      };
      default -> throw new IllegalArgumentException("FlexBuffers type " + r.type() + " is not a number");
    };
  }

  /** The element count stored just before a vector's or map's data. */
  private int size(int pos, int width) {
    check(pos - width, width);
    long n = unsigned(pos - width, width);
    if (n < 0 || n > b.capacity()) {
      throw new IllegalArgumentException("FlexBuffers vector of " + n + " elements in " + b.capacity() + " bytes");
    }
    return (int) n;
  }

  private String cString(int pos) {
    if (pos < 0 || pos >= b.capacity()) {
      throw new IllegalArgumentException("FlexBuffers key outside the options");
    }
    int end = pos;
    while (end < b.capacity() && b.get(end) != 0) {
      end++;
    }
    if (end == b.capacity()) {
      throw new IllegalArgumentException("FlexBuffers key without its terminating NUL");
    }
    return new String(b.array(), pos, end - pos, StandardCharsets.UTF_8);
  }

  private long unsigned(int pos, int width) {
    check(pos, width);
    return switch (width) {
      case 1 -> b.get(pos) & 0xffL;
      case 2 -> b.getShort(pos) & 0xffffL;
      case 4 -> b.getInt(pos) & 0xffffffffL;
      default -> b.getLong(pos);
    };
  }

  private long signed(int pos, int width) {
    check(pos, width);
    return switch (width) {
      case 1 -> b.get(pos);
      case 2 -> b.getShort(pos);
      case 4 -> b.getInt(pos);
      default -> b.getLong(pos);
    };
  }

  private void checkWidth(int w) {
    if (w != 1 && w != 2 && w != 4 && w != 8) {
      throw new IllegalArgumentException("FlexBuffers byte width " + w + ", expected 1, 2, 4 or 8");
    }
  }

  private void check(int pos, long len) {
    if (pos < 0 || len < 0 || pos + len > b.capacity()) {
      throw new IllegalArgumentException("FlexBuffers reference at byte " + pos + " (+" + len
          + ") outside the " + b.capacity() + " bytes of custom_options");
    }
  }
}
