package dev.crossalign.backend.tflite;

import com.google.flatbuffers.Table;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Counts read straight from the .tflite flatbuffer, independent of the interpreter: the test's oracle for counts. */
final class FlatCounts {
  private FlatCounts() {}

  /** Number of operators of subgraph 0. */
  static int operators(byte[] model) {
    T sg = subgraph0(model);
    int ops = sg.field(3);
    return sg.len(ops);
  }

  /** Sum over the operators of subgraph 0 of their output counts (omitted outputs, -1, not counted). */
  static int operatorOutputs(byte[] model) {
    T sg = subgraph0(model);
    int opsField = sg.field(3);
    int n = sg.len(opsField);
    int start = sg.vec(opsField);
    int total = 0;
    for (int i = 0; i < n; i++) {
      T op = new T(sg.ind(start + 4 * i), sg.buf());
      int outs = op.field(2);
      int m = op.len(outs);
      int os = op.vec(outs);
      for (int k = 0; k < m; k++) {
        if (op.buf().getInt(os + 4 * k) >= 0) {
          total++;
        }
      }
    }
    return total;
  }

  /** Shape of tensor {@code index} of subgraph 0, from the file. */
  static int[] tensorShape(byte[] model, int index) {
    T sg = subgraph0(model);
    int tensors = sg.field(0);
    T t = new T(sg.ind(sg.vec(tensors) + 4 * index), sg.buf());
    int shape = t.field(0);
    int n = t.len(shape);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = t.buf().getInt(t.vec(shape) + 4 * i);
    }
    return out;
  }

  private static T subgraph0(byte[] model) {
    ByteBuffer bb = ByteBuffer.wrap(model).order(ByteOrder.LITTLE_ENDIAN);
    T m = new T(bb.getInt(0), bb);
    int sgs = m.field(2);
    return new T(m.ind(m.vec(sgs)), bb);
  }

  private static final class T extends Table {
    T(int pos, ByteBuffer bb) {
      __reset(pos, bb);
    }

    ByteBuffer buf() {
      return bb;
    }

    int field(int id) {
      return __offset(4 + 2 * id);
    }

    int len(int off) {
      return off == 0 ? 0 : __vector_len(off);
    }

    int vec(int off) {
      return __vector(off);
    }

    int ind(int abs) {
      return __indirect(abs);
    }
  }
}
