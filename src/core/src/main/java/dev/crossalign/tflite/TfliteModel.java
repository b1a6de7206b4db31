package dev.crossalign.tflite;

import dev.crossalign.ModelFormatException;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A TFLite model read by {@link TfliteReader}: every offset already validated. Holds the file's bytes, so the same
 * validated bytes can be handed to the interpreter.
 */
public final class TfliteModel {
  /** Largest model file the engine reads into memory. */
  public static final long MAX_FILE_BYTES = 2L * 1024 * 1024 * 1024 - 64;

  private final String label;
  private final byte[] bytes;
  private final int schemaVersion;
  private final String description;
  private final List<Subgraph> subgraphs;
  private final List<BufferRef> buffers;
  private final List<SignatureDef> signatures;
  private final Map<String, Integer> metadata;

  /** Where a buffer's bytes lie in the file (length 0: no data). */
  public record BufferRef(long offset, long length) {}

  TfliteModel(
      String label,
      byte[] bytes,
      int schemaVersion,
      String description,
      List<Subgraph> subgraphs,
      List<BufferRef> buffers,
      List<SignatureDef> signatures,
      Map<String, Integer> metadata) {
    this.label = label;
    this.bytes = bytes;
    this.schemaVersion = schemaVersion;
    this.description = description;
    this.subgraphs = List.copyOf(subgraphs);
    this.buffers = List.copyOf(buffers);
    this.signatures = List.copyOf(signatures);
    this.metadata = Map.copyOf(metadata);
  }

  /** Reads and validates a model file; any problem is a one-line {@link ModelFormatException} or INPUT error. */
  public static TfliteModel read(Path path) {
    byte[] data;
    try {
      long size = ModelFormatException.requireRegular(path);
      if (size > MAX_FILE_BYTES) {
        throw new ModelFormatException(path + ": file of " + size + " bytes is larger than the 2 GiB limit", -1);
      }
      data = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(path + ": no such file", -1);
    } catch (IOException e) {
      throw new ModelFormatException(path + ": cannot read (" + e.getMessage() + ")", -1);
    }
    return TfliteReader.read(data, path.toString());
  }

  public static TfliteModel read(byte[] data, String label) {
    return TfliteReader.read(data, label);
  }

  /** As {@link #read(byte[], String)} without {@link OpInputChecks}: for this package's tests of single options. */
  static TfliteModel readWithoutOpChecks(byte[] data, String label) {
    return TfliteReader.readWithoutOpChecks(data, label);
  }

  public String label() {
    return label;
  }

  /** The file's bytes (a copy: the original stays as validated). */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The validated bytes without a copy, for derived models of this package that share them. */
  byte[] rawBytes() {
    return bytes;
  }

  int size() {
    return bytes.length;
  }

  public int schemaVersion() {
    return schemaVersion;
  }

  public String description() {
    return description;
  }

  public List<Subgraph> subgraphs() {
    return subgraphs;
  }

  /** The primary subgraph (index 0), the one the interpreter runs. */
  public Subgraph main() {
    return subgraphs.get(0);
  }

  public List<BufferRef> buffers() {
    return buffers;
  }

  public List<SignatureDef> signatures() {
    return signatures;
  }

  /** Model metadata entries: name -> buffer index. */
  public Map<String, Integer> metadata() {
    return metadata;
  }

  /** True when the tensor has constant data in a buffer. */
  public boolean isConstant(TensorInfo t) {
    return t.buffer() > 0 && t.buffer() < buffers.size() && buffers.get(t.buffer()).length() > 0;
  }

  /** Raw little-endian bytes of a buffer (read-only view). */
  public ByteBuffer bufferData(int bufferIndex) {
    BufferRef ref = buffers.get(bufferIndex);
    return ByteBuffer.wrap(bytes, (int) ref.offset(), (int) ref.length())
        .slice()
        .order(ByteOrder.LITTLE_ENDIAN)
        .asReadOnlyBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * The constant value of a dense tensor, in its own dtype (FLOAT16 stays FLOAT16), layout ANY. Sparse tensors are
   * refused here: DENSIFY decodes them.
   */
  public HostTensor constant(TensorInfo t) {
    if (!isConstant(t)) {
      throw new ModelFormatException(label + ": tensor '" + t.name() + "' (#" + t.index() + ") has no constant data", -1);
    }
    if (t.type() == null || t.type().dtype() == null) {
      throw new ModelFormatException(
          label + ": tensor '" + t.name() + "' has type " + t.typeCode() + " which the engine cannot hold", -1);
    }
    if (t.sparsity() != null) {
      throw new ModelFormatException(label + ": tensor '" + t.name() + "' is sparse; read it through DENSIFY", -1);
    }
    ByteBuffer data = bufferData(t.buffer());
    long want = HostTensor.numel(t.shape()) * t.type().dtype().byteSize();
    if (want != data.remaining()) {
      throw new ModelFormatException(
          label + ": tensor '" + t.name() + "' needs " + want + " bytes but its buffer has " + data.remaining(),
          buffers.get(t.buffer()).offset());
    }
    return HostTensor.of(t.type().dtype(), t.shape(), Layout.ANY, data);
  }
}
