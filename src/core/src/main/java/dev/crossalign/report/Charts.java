package dev.crossalign.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * XChart charts as SVG fragments to inline in an HTML page. XChart draws every glyph as a path, so no text from the
 * data ever reaches the SVG as text; the fragment still gets its prolog and DOCTYPE (an external DTD URL) removed,
 * its random clip-path ids renamed to stable ones unique in the page, its coordinates cut to 1/100 px, and its fixed
 * size made responsive.
 */
final class Charts {
  private static final Pattern CLIP_ID = Pattern.compile("clip(-?\\d+)");
  private static final Pattern DIGITS = Pattern.compile("(\\d\\.\\d\\d)\\d+");
  private static final Pattern ROOT_SIZE = Pattern.compile("<svg([^>]*?) height=\"[^\"]*\"([^>]*?) width=\"[^\"]*\"");

  private Charts() {}

  /** The chart as an {@code <svg>} element; {@code prefix} makes its ids unique in the page (letters/digits only). */
  static String svg(Chart<?, ?> chart, String prefix) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try {
      VectorGraphicsEncoder.saveVectorGraphic(chart, bos, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    } catch (IOException e) {
      throw new IllegalStateException("SVG export failed: " + e.getMessage(), e);
    }
    String s = bos.toString(StandardCharsets.UTF_8);
    int start = s.indexOf("<svg");
    if (start < 0) {
      throw new IllegalStateException("SVG export gave no <svg> element");
    }
    s = s.substring(start);
    Map<String, String> ids = new LinkedHashMap<>();
    Matcher m = CLIP_ID.matcher(s);
    StringBuilder sb = new StringBuilder(s.length());
    while (m.find()) {
      String id = ids.computeIfAbsent(m.group(1), k -> prefix + "c" + ids.size());
      m.appendReplacement(sb, id);
    }
    m.appendTail(sb);
    s = sb.toString();
    // coordinates to 1/100 px: the writer's full doubles are a third of the bytes and invisible
    s = DIGITS.matcher(s).replaceAll("$1");
    Matcher root = ROOT_SIZE.matcher(s);
    if (root.find()) {
      s = root.replaceFirst("<svg$1$2 class=\"chart\" role=\"img\"");
    }
    return s.strip();
  }
}
