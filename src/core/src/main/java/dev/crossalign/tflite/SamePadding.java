package dev.crossalign.tflite;

/**
 * TensorFlow's padding arithmetic for one spatial axis, the one copy the torch port, the generated PyTorch code, the
 * ONNX export and the cuDNN backend use. SAME: out = ceil(in / stride), total = max((out - 1) * stride + (k - 1) *
 * dilation + 1 - in, 0), begin = total / 2, end = total - begin: the odd pixel goes at the END, where PyTorch's
 * padding=k//2 puts one on both sides. VALID: out = floor((in - (k - 1) * dilation - 1) / stride) + 1, no padding.
 */
public record SamePadding(int begin, int end, int out) {
  public static SamePadding of(Padding padding, int in, int kernel, int stride, int dilation) {
    long effective = (long) (kernel - 1) * dilation + 1;
    if (padding == Padding.VALID) {
      return new SamePadding(0, 0, (int) Math.max((in - effective) / stride + 1, 0));
    }
    int out = (int) ((in + (long) stride - 1) / stride);
    long total = Math.max((long) (out - 1) * stride + effective - in, 0);
    int begin = (int) (total / 2);
    return new SamePadding(begin, (int) (total - begin), out);
  }

  public boolean symmetric() {
    return begin == end;
  }
}
