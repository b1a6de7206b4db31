package dev.crossalign.tflite;

import dev.crossalign.CrossalignException;

/** A model file that is not what it claims to be: the message names the file part and the byte offset. */
public final class ModelFormatException extends CrossalignException {
  private static final long serialVersionUID = 1L;
  private final long offset;

  public ModelFormatException(String message, long offset) {
    super(Kind.INPUT, offset >= 0 ? message + " (at byte offset " + offset + ")" : message);
    this.offset = offset;
  }

  /** Byte offset in the file where the problem was found, or -1 when it is not about one place. */
  public long offset() {
    return offset;
  }
}
