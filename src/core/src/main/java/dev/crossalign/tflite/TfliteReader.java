package dev.crossalign.tflite;

import dev.crossalign.ModelFormatException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Pure-Java reader of the TFLite flatbuffer schema (written from schema.fbs field ids; no generated code). */
final class TfliteReader {
  private TfliteReader() {}

  static TfliteModel read(byte[] data, String label) {
    TfliteModel model = readWithoutOpChecks(data, label);
    OpInputChecks.check(model);
    return model;
  }

  /**
   * The model with its sizes, shapes and constants checked, but not what each op's kernel assumes of its inputs and
   * outputs ({@link OpInputChecks}): for tests that write one op to see how the file holds its options.
   */
  static TfliteModel readWithoutOpChecks(byte[] data, String label) {
    if (data.length == 0) {
      throw new ModelFormatException(label + ": empty file", 0);
    }
    if (data.length < 8) {
      throw new ModelFormatException(label + ": file of " + data.length + " bytes is too short to be a model", 0);
    }
    // Identifier "TFL3" at bytes 4..7; old files may lack it, so only a different non-zero identifier is fatal.
    String ident = new String(data, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
    if (!ident.equals("TFL3")) {
      throw new ModelFormatException(
          label + ": not a TFLite model (file identifier '" + printable(ident) + "', expected 'TFL3')", 4);
    }
    TfliteModel model;
    try {
      model = new TfliteReader.Impl(new FlatReader(ByteBuffer.wrap(data)), data, label).model();
    } catch (ModelFormatException e) {
      if (e.getMessage().startsWith(label)) {
        throw e;
      }
      throw new ModelFormatException(label + ": " + e.getMessage(), -1);
    }
    TensorSizes.check(model);
    ConstantData.check(model);
    return model;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    }
    return b.toString();
  }

  private static final class Impl {
    private final FlatReader r;
    private final byte[] data;
    private final String label;

    Impl(FlatReader r, byte[] data, String label) {
      this.r = r;
      this.data = data;
      this.label = label;
    }

    TfliteModel model() {
      int m = r.root();
      int version = (int) r.uintField(m, 0, 0);
      if (version != 3) {
        throw new ModelFormatException("unsupported TFLite schema version " + version + " (expected 3)", m);
      }
      int[] codeTables = r.tableVector(m, 1, "operator_codes");
      List<int[]> codes = new ArrayList<>();
      List<String> customCodes = new ArrayList<>();
      for (int c : codeTables) {
        int deprecated = r.byteField(c, 0, 0);
        int builtin = r.intField(c, 3, 0);
        int code = Math.max(deprecated, builtin);
        codes.add(new int[] {code, r.intField(c, 2, 1)});
        customCodes.add(code == BuiltinOp.CUSTOM.code() ? r.stringField(c, 1, "custom_code") : null);
      }
      List<TfliteModel.BufferRef> buffers = readBuffers(m);
      int[] sgTables = r.tableVector(m, 2, "subgraphs");
      if (sgTables.length == 0) {
        throw new ModelFormatException("model has no subgraphs", m);
      }
      List<Subgraph> subgraphs = new ArrayList<>();
      for (int i = 0; i < sgTables.length; i++) {
        subgraphs.add(readSubgraph(sgTables[i], i, codes, customCodes, buffers.size()));
      }
      String description = r.stringField(m, 3, "description");
      Map<String, Integer> metadata = new LinkedHashMap<>();
      for (int md : r.tableVector(m, 6, "metadata")) {
        String name = r.stringField(md, 0, "metadata name");
        int buf = (int) r.uintField(md, 1, 0);
        if (name != null && buf >= 0 && buf < buffers.size()) {
          metadata.put(name, buf);
        }
      }
      List<SignatureDef> signatures = new ArrayList<>();
      for (int s : r.tableVector(m, 7, "signature_defs")) {
        int sgIndex = (int) r.uintField(s, 4, 0);
        if (sgIndex < 0 || sgIndex >= subgraphs.size()) {
          throw new ModelFormatException("signature refers to subgraph " + sgIndex + " of " + subgraphs.size(), s);
        }
        int nt = subgraphs.get(sgIndex).tensors().size();
        signatures.add(
            new SignatureDef(
                r.stringField(s, 2, "signature_key"),
                sgIndex,
                tensorMap(r.tableVector(s, 0, "signature inputs"), nt),
                tensorMap(r.tableVector(s, 1, "signature outputs"), nt)));
      }
      return new TfliteModel(label, data, version, description, subgraphs, buffers, signatures, metadata);
    }

    private Map<String, Integer> tensorMap(int[] maps, int tensorCount) {
      Map<String, Integer> out = new LinkedHashMap<>();
      for (int t : maps) {
        int idx = (int) r.uintField(t, 1, 0);
        if (idx < 0 || idx >= tensorCount) {
          throw new ModelFormatException("signature tensor index " + idx + " out of range", t);
        }
        out.put(r.stringField(t, 0, "signature tensor name"), idx);
      }
      return out;
    }

    private List<TfliteModel.BufferRef> readBuffers(int m) {
      List<TfliteModel.BufferRef> out = new ArrayList<>();
      for (int b : r.tableVector(m, 4, "buffers")) {
        FlatReader.Vec v = r.vectorField(b, 0, 1, "buffer data");
        if (v.length() > 0) {
          out.add(new TfliteModel.BufferRef(v.start(), v.length()));
          continue;
        }
        long offset = r.longField(b, 1, 0);
        long size = r.longField(b, 2, 0);
        if (offset > 1 && size > 0) {
          // Buffers stored after the flatbuffer (models over 2 GB): offset counts from the file start.
          if (offset < 0 || size < 0 || offset + size > data.length) {
            throw new ModelFormatException(
                "buffer at offset " + offset + " of " + size + " bytes lies outside the file of " + data.length,
                b);
          }
          out.add(new TfliteModel.BufferRef(offset, size));
        } else {
          out.add(new TfliteModel.BufferRef(0, 0));
        }
      }
      return out;
    }

    private Subgraph readSubgraph(
        int sg, int sgIndex, List<int[]> codes, List<String> customCodes, int bufferCount) {
      int[] tensorTables = r.tableVector(sg, 0, "tensors");
      List<TensorInfo> tensors = new ArrayList<>(tensorTables.length);
      for (int i = 0; i < tensorTables.length; i++) {
        tensors.add(readTensor(tensorTables[i], i, bufferCount));
      }
      int n = tensors.size();
      int[] inputs = checkIndices(r.intVector(sg, 1, "subgraph inputs"), n, false, "subgraph input", sg);
      int[] outputs = checkIndices(r.intVector(sg, 2, "subgraph outputs"), n, false, "subgraph output", sg);
      int[] opTables = r.tableVector(sg, 3, "operators");
      List<Operator> ops = new ArrayList<>(opTables.length);
      for (int i = 0; i < opTables.length; i++) {
        int o = opTables[i];
        long opcodeIndex = r.uintField(o, 0, 0);
        if (opcodeIndex >= codes.size()) {
          throw new ModelFormatException(
              "operator " + i + " uses opcode " + opcodeIndex + " but the model has " + codes.size(), o);
        }
        int code = codes.get((int) opcodeIndex)[0];
        int version = codes.get((int) opcodeIndex)[1];
        String custom = customCodes.get((int) opcodeIndex);
        if (code == BuiltinOp.CUSTOM.code() && custom == null) {
          custom = "<unnamed custom op>";
        }
        int[] in = checkIndices(r.intVector(o, 1, "operator inputs"), n, true, "operator " + i + " input", o);
        int[] out = checkIndices(r.intVector(o, 2, "operator outputs"), n, false, "operator " + i + " output", o);
        int optType = r.ubyteField(o, 3, 0);
        int optTable = optType == 0 ? 0 : r.tableField(o, 4, "builtin_options");
        OpOptions options = optTable == 0 ? new OpOptions.None() : OptionsDecoder.decode(r, optType, optTable);
        FlatReader.Vec cv = r.vectorField(o, 5, 1, "custom_options");
        byte[] customOptions = Arrays.copyOfRange(data, cv.start(), cv.start() + cv.length());
        BuiltinOp builtin = custom != null ? null : BuiltinOp.fromCode(code);
        ops.add(new Operator(i, builtin, code, custom, version, in, out, options, customOptions));
      }
      String name = r.stringField(sg, 4, "subgraph name");
      return new Subgraph(name == null ? "subgraph" + sgIndex : name, tensors, inputs, outputs, ops);
    }

    private int[] checkIndices(int[] idx, int n, boolean allowAbsent, String what, int at) {
      for (int v : idx) {
        if ((v < 0 && !(allowAbsent && v == -1)) || v >= n) {
          throw new ModelFormatException(what + " refers to tensor " + v + " but the subgraph has " + n, at);
        }
      }
      return idx;
    }

    private TensorInfo readTensor(int t, int index, int bufferCount) {
      int[] shape = r.intVector(t, 0, "tensor shape");
      for (int d : shape) {
        if (d < 0) {
          throw new ModelFormatException("tensor " + index + " has a negative dimension in shape " + Arrays.toString(shape), t);
        }
      }
      if (shape.length > 8) {
        throw new ModelFormatException("tensor " + index + " has rank " + shape.length + " (more than 8)", t);
      }
      long elements = 1;
      for (int d : shape) {
        elements *= d;
        if (elements > Integer.MAX_VALUE) {
          throw new ModelFormatException("tensor " + index + " has shape " + Arrays.toString(shape)
              + ": more than 2^31-1 elements, beyond what the engine holds in memory", t);
        }
      }
      int typeCode = r.byteField(t, 1, 0);
      long buffer = r.uintField(t, 2, 0);
      if (buffer >= bufferCount && !(buffer == 0)) {
        throw new ModelFormatException(
            "tensor " + index + " refers to buffer " + buffer + " but the model has " + bufferCount, t);
      }
      String name = r.stringField(t, 3, "tensor name");
      int q = r.tableField(t, 4, "quantization");
      Quantization quant = null;
      if (q != 0) {
        quant =
            new Quantization(
                r.floatVector(q, 0, "quantization min"),
                r.floatVector(q, 1, "quantization max"),
                r.floatVector(q, 2, "quantization scale"),
                r.longVector(q, 3, "quantization zero_point"),
                r.intField(q, 6, 0));
      }
      boolean isVariable = r.boolField(t, 5, false);
      int sp = r.tableField(t, 6, "sparsity");
      Sparsity sparsity = sp == 0 ? null : readSparsity(sp);
      int[] signature = r.intVector(t, 7, "shape_signature");
      return new TensorInfo(
          index,
          name == null || name.isEmpty() ? "t" + index : name,
          TensorType.fromCode(typeCode),
          typeCode,
          shape,
          signature,
          (int) buffer,
          quant,
          sparsity,
          isVariable);
    }

    private Sparsity readSparsity(int sp) {
      int[] traversal = r.intVector(sp, 0, "traversal_order");
      int[] blockMap = r.intVector(sp, 1, "block_map");
      List<Sparsity.DimensionMetadata> dims = new ArrayList<>();
      for (int d : r.tableVector(sp, 2, "dim_metadata")) {
        boolean sparse = r.byteField(d, 0, 0) == 1;
        int denseSize = r.intField(d, 1, 0);
        int[] segments = sparseVector(d, 2, 3, "array_segments");
        int[] indices = sparseVector(d, 4, 5, "array_indices");
        dims.add(new Sparsity.DimensionMetadata(sparse, denseSize, segments, indices));
      }
      return new Sparsity(traversal, blockMap, dims);
    }

    /** SparseIndexVector union: 1 Int32Vector, 2 Uint16Vector, 3 Uint8Vector, each a table with values at field 0. */
    private int[] sparseVector(int d, int typeField, int valueField, String what) {
      int type = r.ubyteField(d, typeField, 0);
      if (type == 0) {
        return new int[0];
      }
      int table = r.tableField(d, valueField, what);
      if (table == 0) {
        return new int[0];
      }
      return switch (type) {
        case 1 -> r.intVector(table, 0, what);
        case 2 -> r.ushortVectorAsInts(table, 0, what);
        case 3 -> r.ubyteVectorAsInts(table, 0, what);
        default -> throw new ModelFormatException(what + " has unknown index vector type " + type, d);
      };
    }
  }
}
