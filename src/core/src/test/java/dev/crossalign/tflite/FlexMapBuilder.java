package dev.crossalign.tflite;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a FlexBuffers map of int32, float32 and int32-vector values, every width 4 bytes, keys sorted, laid out as
 * flatbuffers/flexbuffers.h's Builder lays one out (keys, vectors, the keys vector, the map, the root): for tests
 * that need options other than the ones real models carry. {@link FlexMapTest} reads real MediaPipe options too.
 */
public final class FlexMapBuilder {
  private final Map<String, Object> values = new TreeMap<>();

  public FlexMapBuilder put(String key, Object value) {
    values.put(key, value);
    return this;
  }

  public byte[] build() {
    Buf b = new Buf();
    List<Integer> keyPos = new ArrayList<>();
    for (String k : values.keySet()) {
      keyPos.add(b.size());
      b.bytes(k.getBytes(StandardCharsets.UTF_8));
      b.bytes(new byte[] {0});
    }
    List<Integer> vecPos = new ArrayList<>();
    for (Object v : values.values()) {
      if (v instanceof int[] a) {
        b.align();
        b.u32(a.length);
        vecPos.add(b.size());
        for (int x : a) {
          b.u32(x);
        }
      } else {
        vecPos.add(-1);
      }
    }
    b.align();
    b.u32(values.size());
    int keysVec = b.size();
    for (int p : keyPos) {
      b.u32(b.size() - p);
    }
    int keysField = b.size();
    b.u32(keysField - keysVec);
    b.u32(4);
    b.u32(values.size());
    int map = b.size();
    int i = 0;
    List<Integer> types = new ArrayList<>();
    for (Object v : values.values()) {
      if (v instanceof Integer n) {
        b.u32(n);
        types.add((1 << 2) | 2);
      } else if (v instanceof Float f) {
        b.u32(Float.floatToRawIntBits(f));
        types.add((3 << 2) | 2);
      } else {
        b.u32(b.size() - vecPos.get(i));
        types.add((11 << 2) | 2);
      }
      i++;
    }
    for (int t : types) {
      b.bytes(new byte[] {(byte) t});
    }
    b.align();
    b.u32(b.size() - map);
    b.bytes(new byte[] {(byte) ((9 << 2) | 2), 4});
    return b.out.toByteArray();
  }

  private static final class Buf {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    int size() {
      return out.size();
    }

    void bytes(byte[] v) {
      out.write(v, 0, v.length);
    }

    void u32(int v) {
      bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    void align() {
      while (out.size() % 4 != 0) {
        out.write(0);
      }
    }
  }
}
