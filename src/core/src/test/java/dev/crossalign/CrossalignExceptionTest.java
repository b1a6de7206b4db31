package dev.crossalign;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Every message is one line, whatever bytes a file put into the names it quotes. */
class CrossalignExceptionTest {
  @Test
  void controlCharactersInAQuotedNameAreEscapedNotPrinted() {
    String name = "w\nx\r\u0000y\u0085z\u2028\u007f";
    CrossalignException e = CrossalignException.input("m.onnx: initializer '" + name + "' has no data_type");
    assertThat(e.getMessage())
        .isEqualTo("m.onnx: initializer 'w\\x0ax\\x0d\\x00y\\x85z\\u2028\\x7f' has no data_type")
        .doesNotContain("\n", "\r");
    assertThat(e.getMessage().lines()).hasSize(1);
    ModelFormatException f = new ModelFormatException("t.tflite: tensor 'a\nb'", 12);
    assertThat(f.getMessage().lines()).hasSize(1);
    assertThat(f.getMessage()).contains("a\\x0ab");
  }

  @Test
  void aMessageWithoutControlCharactersIsKeptAsItIs() {
    String m = "model 模型.tflite: op #3 CONV_2D input 1\t(filter) has shape [1, 2]";
    assertThat(CrossalignException.unsupported(m).getMessage()).isSameAs(m);
    assertThat(new CrossalignException(CrossalignException.Kind.INPUT, null).getMessage()).isNull();
  }
}
