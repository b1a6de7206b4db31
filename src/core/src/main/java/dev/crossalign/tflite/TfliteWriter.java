package dev.crossalign.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.crossalign.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Builds small valid .tflite files in memory: one subgraph, tensors, constants (dense, quantized, sparse), builtin
 * and custom operators, graph outputs and an optional signature. Written from the schema.fbs field ids (the same
 * ids {@link TfliteReader} reads), with {@link FlatBufferBuilder}; no generated code.
 *
 * <p>Operators are executed in the order they are added: add them in topological order ({@link #build()} refuses a
 * tensor read before it is written). Every index is checked when it is handed in, so a model this class builds never
 * points outside its own tables.
 *
 * <p>Options: a record is written as its own BuiltinOptions table and must be the union member the op takes (ADD
 * takes AddOptions 11, never MulOptions). {@code new OpOptions.None()} writes an empty table (all schema defaults) of
 * the op's member when the op has one (PAD -> PadOptions 22, TRANSPOSE -> 26, DEQUANTIZE -> 38, DENSIFY -> 99, ...),
 * as TFLite's converter does, and no table for ops without options (RELU, LOGISTIC, ...).
 *
 * <p>Size: one builder per schema table (model, subgraph, tensor, buffer, operator, signature), all sharing the
 * FlatBufferBuilder's offsets, so the schema mirror stays one class.
 */
public final class TfliteWriter {
  /** Description string written into every model. */
  public static final String DESCRIPTION = "crossalign TfliteWriter";

  private record TensorSpec(
      String name,
      TensorType type,
      int[] shape,
      int[] shapeSignature,
      int buffer,
      Quantization quant,
      EncodedSparsity sparsity) {}

  private record OpSpec(int opcode, int[] inputs, int[] outputs, OpOptions options, int unionType, byte[] custom) {}

  /** Operator code: builtin code, custom name (only for CUSTOM) and version. */
  private record OpCode(int builtin, String custom, int version) {}

  /** A sparse tensor's traversal metadata, ready to be written. */
  record EncodedSparsity(int[] traversalOrder, int[] blockMap, List<Level> levels) {}

  /** One traversal level: dense with a size, or CSR with segments and indices. */
  record Level(boolean sparse, int denseSize, int[] segments, int[] indices) {}

  private final List<TensorSpec> tensors = new ArrayList<>();
  private final List<byte[]> buffers = new ArrayList<>();
  private final List<OpSpec> ops = new ArrayList<>();
  private final List<OpCode> opcodes = new ArrayList<>();
  private final List<Integer> inputs = new ArrayList<>();
  private int[] outputs = new int[0];
  private String signatureKey;

  public TfliteWriter() {
    buffers.add(new byte[0]); // buffer 0: the empty sentinel every data-less tensor points to
  }

  /** Graph input tensor (float32 unless type given); returns its tensor index. */
  public int input(String name, TensorType type, int... shape) {
    int t = tensor(name, type, shape);
    inputs.add(t);
    return t;
  }

  /** Graph input tensor of type FLOAT32. */
  public int input(String name, int... shape) {
    return input(name, TensorType.FLOAT32, shape);
  }

  /** Graph input with quantization parameters (int8/uint8 models). */
  public int input(String name, TensorType type, Quantization quant, int... shape) {
    int t = tensor(name, type, quant, shape);
    inputs.add(t);
    return t;
  }

  /**
   * Graph input with a shape signature: -1 in {@code shapeSignature} marks a dynamic dimension (TFLite keeps
   * {@code shape} as the default and lets ResizeInputTensor change the dynamic ones).
   */
  public int dynamicInput(String name, TensorType type, int[] shape, int[] shapeSignature) {
    Objects.requireNonNull(type, "type");
    int[] s = checkShape(name, shape);
    int[] sig = shapeSignature == null ? new int[0] : shapeSignature.clone();
    if (sig.length != s.length) {
      throw new IllegalArgumentException(
          "tensor '" + name + "': shape signature " + Arrays.toString(sig) + " must have the rank of "
              + Arrays.toString(s));
    }
    for (int i = 0; i < sig.length; i++) {
      if (sig[i] != -1 && sig[i] != s[i]) {
        throw new IllegalArgumentException(
            "tensor '" + name + "': shape signature " + Arrays.toString(sig) + " must equal shape "
                + Arrays.toString(s) + " except for -1 (dynamic) dimensions");
      }
    }
    int t = add(new TensorSpec(checkName(name), type, s, sig, 0, null, null));
    inputs.add(t);
    return t;
  }

  /** Intermediate or output tensor without data (shape may be a hint; TFLite recomputes it in Prepare). */
  public int tensor(String name, TensorType type, int... shape) {
    return tensor(name, type, null, shape);
  }

  /** Tensor without data carrying quantization parameters (int8/uint8 activations). */
  public int tensor(String name, TensorType type, Quantization quant, int... shape) {
    Objects.requireNonNull(type, "type");
    return add(new TensorSpec(checkName(name), type, checkShape(name, shape), null, 0, copy(quant), null));
  }

  /** Constant tensor with its own buffer, dtype/shape from the HostTensor (FLOAT32, FLOAT16, INT8, INT32, INT64...). */
  public int constant(String name, HostTensor value) {
    return constant(name, value, null);
  }

  /** Constant with quantization params (for int8 weights + DEQUANTIZE). */
  public int constant(String name, HostTensor value, Quantization quant) {
    Objects.requireNonNull(value, "value");
    TensorType type = TensorType.of(value.dtype());
    int buffer = addBuffer(bytesOf(value));
    return add(new TensorSpec(checkName(name), type, value.shape(), null, buffer, copy(quant), null));
  }

  /**
   * Sparse constant: the dense values are given and encoded in TACO form, as TFLite's FormatConverter does it.
   *
   * @param traversalOrder order in which the expanded dimensions are traversed: the tensor's n dimensions, then one
   *     dimension per block (n + k entries, a permutation of 0..n+k-1)
   * @param blockMap for each block dimension, the original dimension it splits (k entries; may be empty)
   * @param sparseDims per expanded dimension (indexed by dimension, not by traversal position): true = CSR
   * @param blockSize for each block dimension, its size (k entries; must divide the dimension it splits)
   */
  public int sparseConstant(
      String name, HostTensor dense, int[] traversalOrder, int[] blockMap, boolean[] sparseDims, int[] blockSize) {
    Objects.requireNonNull(dense, "dense");
    TensorType type = TensorType.of(dense.dtype());
    SparseEncoder.Result enc =
        SparseEncoder.encode(dense, traversalOrder, blockMap == null ? new int[0] : blockMap, sparseDims,
            blockSize == null ? new int[0] : blockSize);
    int buffer = addBuffer(enc.values());
    return add(new TensorSpec(checkName(name), type, dense.shape(), null, buffer, null, enc.sparsity()));
  }

  /**
   * Builtin op, version 1; options may be new OpOptions.None(); input -1 = absent optional input. Returns the op
   * index.
   */
  public int op(BuiltinOp op, OpOptions options, int[] inputs, int[] outputs) {
    return op(op, options, 1, inputs, outputs);
  }

  /**
   * Builtin op with an explicit operator-code version (TFLite's op version table: e.g. DEPTHWISE_CONV_2D with
   * dilation is version 2). Returns the op index.
   */
  public int op(BuiltinOp op, OpOptions options, int version, int[] inputs, int[] outputs) {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(options, "options (use new OpOptions.None())");
    if (op == BuiltinOp.CUSTOM) {
      throw new IllegalArgumentException("CUSTOM ops are added with custom(name, ...)");
    }
    if (options instanceof OpOptions.Other o) {
      throw new IllegalArgumentException(
          op + ": OpOptions.Other(" + o.unionType() + ") carries no fields and cannot be written; use a record");
    }
    int expected = OptionsEncoder.unionTypeOf(op);
    int unionType;
    if (options instanceof OpOptions.None) {
      unionType = expected;
    } else {
      unionType = options.unionType();
      if (unionType != expected) {
        throw new IllegalArgumentException(
            op + " takes options of union type " + expected + (expected == 0 ? " (none)" : "") + ", got "
                + options.getClass().getSimpleName() + " of union type " + unionType);
      }
    }
    return addOp(new OpCode(op.code(), null, checkVersion(version)), inputs, outputs, options, unionType, null);
  }

  /** Custom op by name with raw custom_options bytes (may be null or empty), version 1. */
  public int custom(String customCode, int[] inputs, int[] outputs, byte[] customOptions) {
    return custom(customCode, 1, inputs, outputs, customOptions);
  }

  /** Custom op by name and version with raw custom_options bytes (may be null or empty). */
  public int custom(String customCode, int version, int[] inputs, int[] outputs, byte[] customOptions) {
    if (customCode == null || customCode.isEmpty()) {
      throw new IllegalArgumentException("custom op needs a non-empty custom code");
    }
    byte[] opts = customOptions == null ? new byte[0] : customOptions.clone();
    return addOp(
        new OpCode(BuiltinOp.CUSTOM.code(), customCode, checkVersion(version)), inputs, outputs, new OpOptions.None(), 0,
        opts);
  }

  /** Graph outputs, in order (replaces any earlier call). */
  public TfliteWriter outputs(int... tensorIndices) {
    int[] idx = tensorIndices == null ? new int[0] : tensorIndices.clone();
    for (int t : idx) {
      checkTensor(t, "graph output", false);
    }
    this.outputs = idx;
    return this;
  }

  /** Adds a SignatureDef (subgraph 0) over the graph inputs and outputs, keyed by their tensor names. */
  public TfliteWriter signature(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("signature key must be non-empty");
    }
    this.signatureKey = key;
    return this;
  }

  /** Number of tensors added so far (the next tensor's index). */
  public int tensorCount() {
    return tensors.size();
  }

  /** The model: "TFL3" identifier, schema version 3, buffer 0 empty (the sentinel). */
  public byte[] build() {
    checkDataflow();
    if (signatureKey != null) {
      checkUnique(inputs.stream().mapToInt(Integer::intValue).toArray(), "input");
      checkUnique(outputs, "output");
    }
    FlatBufferBuilder b = new FlatBufferBuilder(1024 + totalBufferBytes());

    // Buffers first: the largest data, 16-byte aligned as the schema's force_align asks.
    int[] bufferOffsets = new int[buffers.size()];
    for (int i = 0; i < buffers.size(); i++) {
      byte[] data = buffers.get(i);
      int dataVec = 0;
      if (data.length > 0) {
        ByteBuffer dst = b.createUnintializedVector(1, data.length, 16);
        dst.put(data);
        dataVec = b.endVector();
      }
      b.startTable(3);
      if (dataVec != 0) {
        b.addOffset(0, dataVec, 0);
      }
      bufferOffsets[i] = b.endTable();
    }
    int buffersVec = b.createVectorOfTables(bufferOffsets);

    int[] tensorOffsets = new int[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      tensorOffsets[i] = writeTensor(b, tensors.get(i));
    }
    int tensorsVec = b.createVectorOfTables(tensorOffsets);

    int[] opOffsets = new int[ops.size()];
    for (int i = 0; i < ops.size(); i++) {
      opOffsets[i] = writeOp(b, ops.get(i));
    }
    int opsVec = b.createVectorOfTables(opOffsets);

    int inputsVec = OptionsEncoder.intVector(b, inputs.stream().mapToInt(Integer::intValue).toArray());
    int outputsVec = OptionsEncoder.intVector(b, outputs);
    int sgName = b.createString("main");
    b.startTable(5);
    b.addOffset(0, tensorsVec, 0);
    b.addOffset(1, inputsVec, 0);
    b.addOffset(2, outputsVec, 0);
    b.addOffset(3, opsVec, 0);
    b.addOffset(4, sgName, 0);
    int subgraph = b.endTable();
    int subgraphsVec = b.createVectorOfTables(new int[] {subgraph});

    int[] codeOffsets = new int[opcodes.size()];
    for (int i = 0; i < opcodes.size(); i++) {
      OpCode c = opcodes.get(i);
      int customName = c.custom() == null ? 0 : b.createString(c.custom());
      b.startTable(4);
      b.addByte(0, (byte) Math.min(c.builtin(), 127), 0);
      if (customName != 0) {
        b.addOffset(1, customName, 0);
      }
      b.addInt(2, c.version(), 1);
      b.addInt(3, c.builtin(), 0);
      codeOffsets[i] = b.endTable();
    }
    int codesVec = b.createVectorOfTables(codeOffsets);

    int signaturesVec = 0;
    if (signatureKey != null) {
      int ins = tensorMaps(b, inputs.stream().mapToInt(Integer::intValue).toArray());
      int outs = tensorMaps(b, outputs);
      int key = b.createString(signatureKey);
      b.startTable(5);
      b.addOffset(0, ins, 0);
      b.addOffset(1, outs, 0);
      b.addOffset(2, key, 0);
      b.addInt(4, 0, 0); // subgraph_index (uint)
      signaturesVec = b.createVectorOfTables(new int[] {b.endTable()});
    }

    int description = b.createString(DESCRIPTION);
    b.startTable(8);
    b.addInt(0, 3, 0); // version (uint)
    b.addOffset(1, codesVec, 0);
    b.addOffset(2, subgraphsVec, 0);
    b.addOffset(3, description, 0);
    b.addOffset(4, buffersVec, 0);
    if (signaturesVec != 0) {
      b.addOffset(7, signaturesVec, 0);
    }
    int model = b.endTable();
    b.finish(model, "TFL3");
    return b.sizedByteArray();
  }

  /** {@link #build()} then {@link TfliteModel#read(byte[], String)} with the label "writer". */
  public TfliteModel buildModel() {
    return TfliteModel.read(build(), "writer");
  }

  // ---- writing ----

  private int writeTensor(FlatBufferBuilder b, TensorSpec t) {
    int shape = OptionsEncoder.intVector(b, t.shape());
    int name = b.createString(t.name());
    int quant = t.quant() == null ? 0 : writeQuantization(b, t.quant());
    int sparsity = t.sparsity() == null ? 0 : writeSparsity(b, t.sparsity());
    int signature = t.shapeSignature() == null ? 0 : OptionsEncoder.intVector(b, t.shapeSignature());
    b.startTable(9);
    b.addOffset(0, shape, 0);
    b.addByte(1, (byte) t.type().code(), 0);
    b.addInt(2, t.buffer(), 0); // buffer (uint)
    b.addOffset(3, name, 0);
    if (quant != 0) {
      b.addOffset(4, quant, 0);
    }
    if (sparsity != 0) {
      b.addOffset(6, sparsity, 0);
    }
    if (signature != 0) {
      b.addOffset(7, signature, 0);
    }
    b.addBoolean(8, true, false); // has_rank: the shape is the tensor's rank (also for scalars)
    return b.endTable();
  }

  private static int writeQuantization(FlatBufferBuilder b, Quantization q) {
    int min = floatVector(b, q.min());
    int max = floatVector(b, q.max());
    int scale = floatVector(b, q.scale());
    long[] zp = q.zeroPoint() == null ? new long[0] : q.zeroPoint();
    b.startVector(8, zp.length, 8);
    for (int i = zp.length - 1; i >= 0; i--) {
      b.addLong(zp[i]);
    }
    int zeroPoint = b.endVector();
    b.startTable(7);
    b.addOffset(0, min, 0);
    b.addOffset(1, max, 0);
    b.addOffset(2, scale, 0);
    b.addOffset(3, zeroPoint, 0);
    b.addInt(6, q.quantizedDimension(), 0);
    return b.endTable();
  }

  private static int floatVector(FlatBufferBuilder b, float[] values) {
    float[] v = values == null ? new float[0] : values;
    b.startVector(4, v.length, 4);
    for (int i = v.length - 1; i >= 0; i--) {
      b.addFloat(v[i]);
    }
    return b.endVector();
  }

  private static int writeSparsity(FlatBufferBuilder b, EncodedSparsity s) {
    int traversal = OptionsEncoder.intVector(b, s.traversalOrder());
    int blockMap = OptionsEncoder.intVector(b, s.blockMap());
    int[] dims = new int[s.levels().size()];
    for (int i = 0; i < dims.length; i++) {
      Level l = s.levels().get(i);
      if (!l.sparse()) {
        b.startTable(6);
        b.addByte(0, (byte) 0, 0); // DENSE
        b.addInt(1, l.denseSize(), 0);
        dims[i] = b.endTable();
        continue;
      }
      int segType = indexVectorType(l.segments());
      int seg = indexVector(b, l.segments(), segType);
      int idxType = indexVectorType(l.indices());
      int idx = indexVector(b, l.indices(), idxType);
      b.startTable(6);
      b.addByte(0, (byte) 1, 0); // SPARSE_CSR
      b.addByte(2, (byte) segType, 0);
      b.addOffset(3, seg, 0);
      b.addByte(4, (byte) idxType, 0);
      b.addOffset(5, idx, 0);
      dims[i] = b.endTable();
    }
    int dimVec = b.createVectorOfTables(dims);
    b.startTable(3);
    b.addOffset(0, traversal, 0);
    b.addOffset(1, blockMap, 0);
    b.addOffset(2, dimVec, 0);
    return b.endTable();
  }

  /** SparseIndexVector member: 3 Uint8Vector, 2 Uint16Vector, 1 Int32Vector, the narrowest that holds the values. */
  private static int indexVectorType(int[] values) {
    int max = 0;
    for (int v : values) {
      max = Math.max(max, v);
    }
    return max < 256 ? 3 : max < 65536 ? 2 : 1;
  }

  private static int indexVector(FlatBufferBuilder b, int[] values, int type) {
    int vec;
    switch (type) {
      case 3 -> {
        b.startVector(1, values.length, 1);
        for (int i = values.length - 1; i >= 0; i--) {
          b.addByte((byte) values[i]);
        }
        vec = b.endVector();
      }
      case 2 -> {
        b.startVector(2, values.length, 2);
        for (int i = values.length - 1; i >= 0; i--) {
          b.addShort((short) values[i]);
        }
        vec = b.endVector();
      }
      default -> vec = OptionsEncoder.intVector(b, values);
    }
    b.startTable(1);
    b.addOffset(0, vec, 0);
    return b.endTable();
  }

  private int writeOp(FlatBufferBuilder b, OpSpec op) {
    int in = OptionsEncoder.intVector(b, op.inputs());
    int out = OptionsEncoder.intVector(b, op.outputs());
    int options = op.unionType() == 0 ? 0 : OptionsEncoder.encode(b, op.options());
    int custom = op.custom() == null ? 0 : b.createByteVector(op.custom());
    b.startTable(7);
    b.addInt(0, op.opcode(), 0); // opcode_index (uint)
    b.addOffset(1, in, 0);
    b.addOffset(2, out, 0);
    if (options != 0) {
      b.addByte(3, (byte) op.unionType(), 0);
      b.addOffset(4, options, 0);
    }
    if (custom != 0) {
      b.addOffset(5, custom, 0);
    }
    return b.endTable();
  }

  private int tensorMaps(FlatBufferBuilder b, int[] indices) {
    int[] maps = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int name = b.createString(tensors.get(indices[i]).name());
      b.startTable(2);
      b.addOffset(0, name, 0);
      b.addInt(1, indices[i], 0); // tensor_index (uint)
      maps[i] = b.endTable();
    }
    return b.createVectorOfTables(maps);
  }

  // ---- bookkeeping and checks ----

  private int add(TensorSpec t) {
    tensors.add(t);
    return tensors.size() - 1;
  }

  private int addBuffer(byte[] data) {
    buffers.add(data);
    return buffers.size() - 1;
  }

  private int addOp(OpCode code, int[] in, int[] out, OpOptions options, int unionType, byte[] custom) {
    int[] ins = in == null ? new int[0] : in.clone();
    int[] outs = out == null ? new int[0] : out.clone();
    String what = "op " + ops.size() + " (" + (code.custom() != null ? code.custom() : BuiltinOp.fromCode(code.builtin())) + ")";
    for (int t : ins) {
      checkTensor(t, what + " input", true);
    }
    if (outs.length == 0) {
      throw new IllegalArgumentException(what + " needs at least one output");
    }
    for (int t : outs) {
      checkTensor(t, what + " output", false);
      if (tensors.get(t).buffer() != 0) {
        throw new IllegalArgumentException(what + " output " + t + " ('" + tensors.get(t).name() + "') is a constant");
      }
    }
    int opcode = opcodes.indexOf(code);
    if (opcode < 0) {
      opcodes.add(code);
      opcode = opcodes.size() - 1;
    }
    ops.add(new OpSpec(opcode, ins, outs, options, unionType, custom));
    return ops.size() - 1;
  }

  private void checkTensor(int t, String what, boolean allowAbsent) {
    if (allowAbsent && t == -1) {
      return;
    }
    if (t < 0 || t >= tensors.size()) {
      throw new IllegalArgumentException(
          what + " refers to tensor " + t + " but " + tensors.size() + " tensors exist"
              + (allowAbsent ? " (-1 marks an absent optional input)" : ""));
    }
  }

  /**
   * Every op input must exist when the op runs: a constant, a graph input, or the output of an earlier op. Each
   * tensor is produced once, and each graph output is produced (or is an input). TFLite itself would read an
   * unwritten arena tensor without complaint.
   */
  private void checkDataflow() {
    boolean[] ready = new boolean[tensors.size()];
    for (int t : inputs) {
      ready[t] = true;
    }
    for (int t = 0; t < tensors.size(); t++) {
      if (tensors.get(t).buffer() != 0) {
        ready[t] = true;
      }
    }
    boolean[] produced = new boolean[tensors.size()];
    for (int i = 0; i < ops.size(); i++) {
      OpSpec op = ops.get(i);
      OpCode code = opcodes.get(op.opcode());
      String what = "op " + i + " (" + (code.custom() != null ? code.custom() : BuiltinOp.fromCode(code.builtin())) + ")";
      for (int t : op.inputs()) {
        if (t >= 0 && !ready[t]) {
          throw new IllegalStateException(
              what + " reads tensor " + t + " ('" + tensors.get(t).name() + "') before any op writes it; it is not"
                  + " a graph input or constant (add ops in execution order, declare inputs with input())");
        }
      }
      for (int t : op.outputs()) {
        if (produced[t] || inputs.contains(t)) {
          throw new IllegalStateException(
              what + " writes tensor " + t + " ('" + tensors.get(t).name() + "') which is already "
                  + (produced[t] ? "written by an earlier op" : "a graph input"));
        }
        produced[t] = true;
        ready[t] = true;
      }
    }
    for (int t : outputs) {
      if (!ready[t]) {
        throw new IllegalStateException(
            "graph output " + t + " ('" + tensors.get(t).name() + "') is never written by an op");
      }
    }
  }

  private void checkUnique(int[] indices, String what) {
    Set<String> seen = new HashSet<>();
    for (int t : indices) {
      if (!seen.add(tensors.get(t).name())) {
        throw new IllegalArgumentException(
            "signature " + what + " name '" + tensors.get(t).name() + "' is used twice; tensor names must be unique");
      }
    }
  }

  private static int checkVersion(int version) {
    if (version < 1) {
      throw new IllegalArgumentException("operator version must be >= 1, got " + version);
    }
    return version;
  }

  private static String checkName(String name) {
    if (name == null) {
      throw new IllegalArgumentException("tensor name must not be null");
    }
    return name;
  }

  private static int[] checkShape(String name, int[] shape) {
    int[] s = shape == null ? new int[0] : shape.clone();
    if (s.length > 8) {
      throw new IllegalArgumentException("tensor '" + name + "' has rank " + s.length + " (TFLite allows 8)");
    }
    for (int d : s) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension in " + Arrays.toString(s));
      }
    }
    return s;
  }

  private static Quantization copy(Quantization q) {
    if (q == null) {
      return null;
    }
    return new Quantization(
        q.min() == null ? new float[0] : q.min().clone(),
        q.max() == null ? new float[0] : q.max().clone(),
        q.scale() == null ? new float[0] : q.scale().clone(),
        q.zeroPoint() == null ? new long[0] : q.zeroPoint().clone(),
        q.quantizedDimension());
  }

  private int totalBufferBytes() {
    long n = 0;
    for (byte[] d : buffers) {
      n += d.length + 16;
    }
    if (n > Integer.MAX_VALUE - 1_048_576) {
      throw new IllegalArgumentException("constants of " + n + " bytes do not fit one in-memory model");
    }
    return (int) n;
  }

  static byte[] bytesOf(HostTensor t) {
    ByteBuffer src = t.data();
    byte[] out = new byte[src.remaining()];
    src.get(out);
    return out;
  }
}
