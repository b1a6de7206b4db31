package dev.crossalign;

/**
 * A model file (TFLite, ONNX, its external data) that is not what it claims to be: the message names the file part
 * and the byte offset. Beside {@link CrossalignException} because every reader of a model format throws it.
 */
public final class ModelFormatException extends CrossalignException {
  private static final long serialVersionUID = 1L;
  private final long offset;

  public ModelFormatException(String message, long offset) {
    super(Kind.INPUT, offset >= 0 ? message + " (at byte offset " + offset + ")" : message);
    this.offset = offset;
  }

  /**
   * The size of a model file, after refusing what is not a regular file (missing, a directory, a FIFO, a device)
   * before anything opens it.
   */
  public static long requireRegular(java.nio.file.Path file) {
    try {
      return dev.crossalign.tensor.RegularFiles.require(file, file.toString());
    } catch (ModelFormatException e) {
      throw e;
    } catch (CrossalignException e) {
      throw new ModelFormatException(e.getMessage(), -1);
    }
  }

  /** Byte offset in the file where the problem was found, or -1 when it is not about one place. */
  public long offset() {
    return offset;
  }
}
