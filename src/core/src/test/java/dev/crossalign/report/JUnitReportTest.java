package dev.crossalign.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class JUnitReportTest {

  static Document parse(String xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  static int attr(Element e, String name) {
    return Integer.parseInt(e.getAttribute(name));
  }

  /** Counts in the attributes equal the elements, at the root and in every suite. */
  static void assertCountsConsistent(Document d) {
    Element root = d.getDocumentElement();
    assertThat(root.getTagName()).isEqualTo("testsuites");
    NodeList suites = root.getElementsByTagName("testsuite");
    int tests = 0;
    int failures = 0;
    int skipped = 0;
    for (int i = 0; i < suites.getLength(); i++) {
      Element s = (Element) suites.item(i);
      int t = s.getElementsByTagName("testcase").getLength();
      int f = s.getElementsByTagName("failure").getLength();
      int k = s.getElementsByTagName("skipped").getLength();
      assertThat(attr(s, "tests")).isEqualTo(t);
      assertThat(attr(s, "failures")).isEqualTo(f);
      assertThat(attr(s, "skipped")).isEqualTo(k);
      assertThat(attr(s, "errors")).isZero();
      tests += t;
      failures += f;
      skipped += k;
    }
    assertThat(attr(root, "tests")).isEqualTo(tests).isEqualTo(root.getElementsByTagName("testcase").getLength());
    assertThat(attr(root, "failures")).isEqualTo(failures);
    assertThat(attr(root, "skipped")).isEqualTo(skipped);
  }

  @Test
  void misalignedFixture() throws Exception {
    AlignmentResult r = ReportFixtures.misaligned();
    Document d = parse(JUnitReport.render(r));
    assertCountsConsistent(d);
    Element root = d.getDocumentElement();
    // per mode: in, conv, mid (4 -> 5, fails), nanny (NaN on both sides: fails, not accepted by default), head
    // (shape mismatch), out;
    // two modes, plus one testcase for the unsupported CUSTOM_X
    assertThat(attr(root, "tests")).isEqualTo(13).isEqualTo(r.comparisons().size() + 1);
    assertThat(attr(root, "failures")).isEqualTo(6)
        .isEqualTo((int) r.comparisons().stream().filter(c -> !c.passed()).count());
    assertThat(attr(root, "skipped")).isEqualTo(1);
    NodeList suites = root.getElementsByTagName("testsuite");
    assertThat(suites.getLength()).isEqualTo(3);
    assertThat(((Element) suites.item(0)).getAttribute("name")).isEqualTo("face.tflite.tflite~torch.chained");
    assertThat(((Element) suites.item(2)).getAttribute("name")).isEqualTo("face.tflite.unsupported");

    Element mid = testcase(d, "face.tflite.tflite~torch.isolated", "mid");
    Element failure = (Element) mid.getElementsByTagName("failure").item(0);
    // ref (1,2,3,4), cand (1,2,3,5): max_abs 1, rel_l2 1/sqrt(30), cosine 34/sqrt(30*39)
    String expected = String.format(Locale.ROOT, "max_abs %.3e, rel_l2 %.3e, cosine %.7f (atol 1e-05, rtol 0.0001)",
        1.0, 1 / Math.sqrt(30), 34 / Math.sqrt(30.0 * 39));
    assertThat(failure.getAttribute("message")).isEqualTo(expected);
    assertThat(failure.getAttribute("type")).isEqualTo("out_of_tolerance");
    assertThat(failure.getTextContent()).contains("1 of 4 elements fail").contains("worst at [3]");

    Element head = testcase(d, "face.tflite.tflite~torch.chained", "head");
    assertThat(((Element) head.getElementsByTagName("failure").item(0)).getAttribute("type"))
        .isEqualTo("shape_mismatch");
    Element nanny = testcase(d, "face.tflite.tflite~torch.chained", "nanny");
    Element nf = (Element) nanny.getElementsByTagName("failure").item(0);
    assertThat(nf.getAttribute("type")).isEqualTo("nonfinite");
    assertThat(nf.getAttribute("message")).isEqualTo("NaN/Inf: ref 2 NaN, 0 Inf (first at flat 0), cand 2 NaN, 0 Inf"
        + " (first at flat 0); both sides agree element by element (--accept-nonfinite accepts that)");
    Element custom = testcase(d, "face.tflite.unsupported", "CUSTOM_X");
    assertThat(((Element) custom.getElementsByTagName("skipped").item(0)).getAttribute("message"))
        .isEqualTo("CUSTOM_X x2: no torch lowering");
  }

  @Test
  void missingOutputIsSkippedOnlyWhenUnsupportedOpsExplainIt() throws Exception {
    Activations ref = Activations.builder("tflite")
        .add("in", "INPUT", 0, ReportFixtures.vec(1, 2))
        .add("out", "CUSTOM", 1, ReportFixtures.vec(3, 4))
        .output("out")
        .build();
    Activations cand = Activations.builder("torch").add("in", "INPUT", 0, ReportFixtures.vec(1, 2)).build();
    List<Comparison> cs = new ArrayList<>(Aligner.compare(ref, cand, Mode.CHAINED, Tolerance.DEFAULT));
    cs.addAll(Aligner.missingOutputs(ref, "onnx", Mode.CHAINED, "export failed"));
    assertThat(cs.stream().filter(c -> c.status() == Comparison.Status.MISSING).count()).isEqualTo(2);

    AlignmentResult incomplete = AlignmentResult.of("m", "cpu", 1, Tolerance.DEFAULT, List.of("tflite", "torch"),
        cs, List.of(new UnsupportedOp("CUSTOM", 1, "custom op")), List.of(), Map.of(), Map.of());
    Document d = parse(JUnitReport.render(incomplete));
    assertCountsConsistent(d);
    // in passes; out missing in torch and onnx: skipped; the unsupported op: skipped
    assertThat(attr(d.getDocumentElement(), "tests")).isEqualTo(4);
    assertThat(attr(d.getDocumentElement(), "failures")).isZero();
    assertThat(attr(d.getDocumentElement(), "skipped")).isEqualTo(3);

    AlignmentResult lost = AlignmentResult.of("m", "cpu", 1, Tolerance.DEFAULT, List.of("tflite", "torch"),
        cs, List.of(), List.of(), Map.of(), Map.of());
    Document d2 = parse(JUnitReport.render(lost));
    assertCountsConsistent(d2);
    assertThat(attr(d2.getDocumentElement(), "tests")).isEqualTo(3);
    assertThat(attr(d2.getDocumentElement(), "failures")).isEqualTo(2);
    assertThat(attr(d2.getDocumentElement(), "skipped")).isZero();
    Element out = testcase(d2, "m.tflite~onnx.chained", "out");
    assertThat(((Element) out.getElementsByTagName("failure").item(0)).getAttribute("message"))
        .isEqualTo("missing in the candidate: export failed");
  }

  @Test
  void namesAreEscapedAndParseBack() throws Exception {
    String nasty = "a<b>&\"c\"'d'\u0001\ttab</testcase><script>x</script>]]>";
    Activations ref = Activations.builder("tflite").add(nasty, "ADD", 0, ReportFixtures.vec(1, 2)).build();
    Activations cand = Activations.builder("torch").add(nasty, "ADD", 0, ReportFixtures.vec(1, 3)).build();
    AlignmentResult r = AlignmentResult.of("dir/<m>&.tflite", "cpu", 1, Tolerance.DEFAULT,
        List.of("tflite", "torch"), Aligner.compare(ref, cand, Mode.ISOLATED, Tolerance.DEFAULT), List.of(),
        List.of(), Map.of(), Map.of());
    Document d = parse(JUnitReport.render(r));
    assertCountsConsistent(d);
    Element tc = (Element) d.getElementsByTagName("testcase").item(0);
    // U+0001 cannot be carried by XML 1.0 at all: it becomes U+FFFD; the tab survives as a character reference
    assertThat(tc.getAttribute("name")).isEqualTo(nasty.replace('\u0001', '\uFFFD'));
    assertThat(tc.getAttribute("classname")).isEqualTo("dir/<m>&.tflite.tflite~torch.isolated");
    assertThat(attr(d.getDocumentElement(), "failures")).isEqualTo(1);
  }

  @Test
  void bigResultCounts(@TempDir Path dir) throws Exception {
    AlignmentResult r = HtmlFixtures.big();
    Path f = dir.resolve("junit.xml");
    JUnitReport.write(r, f);
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.count()).isEqualTo(1);
    }
    DocumentBuilderFactory fac = DocumentBuilderFactory.newInstance();
    fac.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document d = fac.newDocumentBuilder().parse(f.toFile());
    assertCountsConsistent(d);
    assertThat(attr(d.getDocumentElement(), "tests")).isEqualTo(600);
    // torch chained fails from position 97 to 149, torch isolated at 97 only
    assertThat(attr(d.getDocumentElement(), "failures")).isEqualTo(HtmlFixtures.TENSORS - HtmlFixtures.BAD + 1);
    Element xss = testcase(d, "face_detection_short_range.tflite.tflite~onnx.chained", HtmlFixtures.XSS_NAME);
    assertThat(xss.getElementsByTagName("failure").getLength()).isZero();
  }

  private static Element testcase(Document d, String classname, String name) {
    NodeList all = d.getElementsByTagName("testcase");
    for (int i = 0; i < all.getLength(); i++) {
      Element e = (Element) all.item(i);
      if (e.getAttribute("classname").equals(classname) && e.getAttribute("name").equals(name)) {
        return e;
      }
    }
    throw new AssertionError("no testcase " + classname + " / " + name);
  }
}
