package dev.crossalign.engine.gpu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The GPU check's JSON files: written atomically, read with one-line errors that name the file. */
final class Json {
  /** Writes NaN as the string "NaN" (Jackson's default); reads Python's bare NaN / Infinity too. */
  static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature())
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Json() {}

  static void write(Path file, Object value) {
    try {
      AtomicFiles.write(file, MAPPER.writeValueAsBytes(value));
    } catch (JsonProcessingException e) {
      throw new CrossalignException(CrossalignException.Kind.INTERNAL, "cannot write " + file + " as JSON: "
          + e.getOriginalMessage());
    }
  }

  static <T> T read(Path file, Class<T> type) {
    if (!Files.isRegularFile(file)) {
      throw CrossalignException.input(file + ": no such file");
    }
    try {
      return MAPPER.readValue(file.toFile(), type);
    } catch (IOException e) {
      throw CrossalignException.input(file + ": not a valid " + type.getSimpleName() + " file: " + describe(e));
    }
  }

  /** The file as a tree, or null when it is absent or not JSON (the summary reports what it finds). */
  static JsonNode tree(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      return null;
    }
  }

  static String describe(Exception e) {
    String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    String what = e.getClass().getSimpleName();
    return m == null ? what : what + " " + m.replace('\n', ' ');
  }
}
