package dev.crossalign.backend.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds minimal one-subgraph .tflite flatbuffers by schema field id (tests only; the project's TfliteWriter lives in
 * dev.crossalign.tflite). Tensors have no constant data (buffer 0, the empty sentinel).
 */
final class TinyTflite {
  static final int FLOAT32 = 0;
  static final int BUILTIN_ADD = 0;
  static final int BUILTIN_RELU = 19;
  static final int BUILTIN_CUSTOM = 32;

  record Tensor(String name, int type, int[] shape, int[] shapeSignature) {}

  record OpCode(int builtin, String custom, int version) {}

  record Op(int opcodeIndex, int[] inputs, int[] outputs) {}

  private final List<Tensor> tensors = new ArrayList<>();
  private final List<OpCode> codes = new ArrayList<>();
  private final List<Op> ops = new ArrayList<>();
  private int[] inputs = new int[0];
  private int[] outputs = new int[0];

  int tensor(String name, int[] shape, int[] signature) {
    tensors.add(new Tensor(name, FLOAT32, shape, signature));
    return tensors.size() - 1;
  }

  int opcode(int builtin, String custom) {
    return opcode(builtin, custom, 1);
  }

  int opcode(int builtin, String custom, int version) {
    codes.add(new OpCode(builtin, custom, version));
    return codes.size() - 1;
  }

  TinyTflite op(int opcode, int[] in, int[] out) {
    ops.add(new Op(opcode, in, out));
    return this;
  }

  TinyTflite io(int[] in, int[] out) {
    inputs = in;
    outputs = out;
    return this;
  }

  byte[] build() {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    int[] tensorOffs = new int[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      int name = b.createString(t.name());
      int shape = intVector(b, t.shape());
      int sig = t.shapeSignature() == null ? 0 : intVector(b, t.shapeSignature());
      b.startTable(8);
      b.addOffset(0, shape, 0);
      b.addByte(1, (byte) t.type(), -1); // force the field even when it is 0 (FLOAT32)
      b.addInt(2, 0, -1);
      b.addOffset(3, name, 0);
      if (sig != 0) {
        b.addOffset(7, sig, 0);
      }
      tensorOffs[i] = b.endTable();
    }
    int[] opOffs = new int[ops.size()];
    for (int i = 0; i < ops.size(); i++) {
      Op o = ops.get(i);
      int in = intVector(b, o.inputs());
      int out = intVector(b, o.outputs());
      b.startTable(3);
      b.addInt(0, o.opcodeIndex(), -1);
      b.addOffset(1, in, 0);
      b.addOffset(2, out, 0);
      opOffs[i] = b.endTable();
    }
    int tensorsVec = offsetVector(b, tensorOffs);
    int opsVec = offsetVector(b, opOffs);
    int inVec = intVector(b, inputs);
    int outVec = intVector(b, outputs);
    int sgName = b.createString("main");
    b.startTable(5);
    b.addOffset(0, tensorsVec, 0);
    b.addOffset(1, inVec, 0);
    b.addOffset(2, outVec, 0);
    b.addOffset(3, opsVec, 0);
    b.addOffset(4, sgName, 0);
    int subgraph = b.endTable();

    int[] codeOffs = new int[codes.size()];
    for (int i = 0; i < codes.size(); i++) {
      OpCode c = codes.get(i);
      int custom = c.custom() == null ? 0 : b.createString(c.custom());
      b.startTable(4);
      b.addByte(0, (byte) Math.min(c.builtin(), 127), -1);
      if (custom != 0) {
        b.addOffset(1, custom, 0);
      }
      b.addInt(2, c.version(), -1);
      b.addInt(3, c.builtin(), -1);
      codeOffs[i] = b.endTable();
    }
    int codesVec = offsetVector(b, codeOffs);
    b.startTable(0);
    int emptyBuffer = b.endTable();
    int buffersVec = offsetVector(b, new int[] {emptyBuffer});
    int subgraphsVec = offsetVector(b, new int[] {subgraph});
    int desc = b.createString("crossalign test model");
    b.startTable(5);
    b.addInt(0, 3, -1);
    b.addOffset(1, codesVec, 0);
    b.addOffset(2, subgraphsVec, 0);
    b.addOffset(3, desc, 0);
    b.addOffset(4, buffersVec, 0);
    int model = b.endTable();
    b.finish(model, "TFL3");
    return b.sizedByteArray();
  }

  private static int intVector(FlatBufferBuilder b, int[] v) {
    b.startVector(4, v.length, 4);
    for (int i = v.length - 1; i >= 0; i--) {
      b.addInt(v[i]);
    }
    return b.endVector();
  }

  private static int offsetVector(FlatBufferBuilder b, int[] offs) {
    b.startVector(4, offs.length, 4);
    for (int i = offs.length - 1; i >= 0; i--) {
      b.addOffset(offs[i]);
    }
    return b.endVector();
  }

  /** x[1,-1,4] -> RELU -> y; the middle axis may be resized. */
  static byte[] reluDynamic() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", new int[] {1, 2, 4}, new int[] {1, -1, 4});
    int y = m.tensor("y", new int[] {1, 2, 4}, new int[] {1, -1, 4});
    int relu = m.opcode(BUILTIN_RELU, null);
    return m.op(relu, new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y}).build();
  }

  /** x -> RELU (at the given op version) -> y. */
  static byte[] reluVersion(int version) {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", new int[] {1, 4}, null);
    int y = m.tensor("y", new int[] {1, 4}, null);
    int relu = m.opcode(BUILTIN_RELU, null, version);
    return m.op(relu, new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y}).build();
  }

  /** x -> custom a -> h -> custom b -> y. */
  static byte[] twoCustomOps(String a, String b) {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", new int[] {1, 4}, null);
    int h = m.tensor("h", new int[] {1, 4}, null);
    int y = m.tensor("y", new int[] {1, 4}, null);
    int ca = m.opcode(BUILTIN_CUSTOM, a);
    int cb = m.opcode(BUILTIN_CUSTOM, b);
    return m.op(ca, new int[] {x}, new int[] {h}).op(cb, new int[] {h}, new int[] {y})
        .io(new int[] {x}, new int[] {y}).build();
  }

  /** x -> RELU -> h -> custom op -> y: the MediaPipe op TFLite's builtin resolver lacks. */
  static byte[] withCustomOp(String customName) {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", new int[] {1, 4, 4, 2}, null);
    int h = m.tensor("h", new int[] {1, 4, 4, 2}, null);
    int y = m.tensor("y", new int[] {1, 8, 8, 2}, null);
    int relu = m.opcode(BUILTIN_RELU, null);
    int custom = m.opcode(BUILTIN_CUSTOM, customName);
    return m.op(relu, new int[] {x}, new int[] {h})
        .op(custom, new int[] {h}, new int[] {y})
        .io(new int[] {x}, new int[] {y})
        .build();
  }
}
