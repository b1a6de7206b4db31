package dev.crossalign;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.crossalign.testutil.SourceTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DESIGN.md's package table and "native types only in backend and port" as executable rules over the main classes.
 * Each rule names the packages it governs; the few places that break a rule today are listed in {@link #KNOWN} with
 * the issue that removes them, so that a NEW forbidden import fails this test while the known debt stays visible.
 * {@link #aForbiddenImportFailsTheRule()} is the test of the test: a fixture class of package "tensor" (in test
 * sources) that imports the engine must be caught; {@link #aPicocliImportOutsideTheCliFailsTheRule()} is the same for
 * "picocli only in dev.crossalign.cli".
 */
class ArchitectureTest {
  private static final String ROOT = "dev.crossalign";

  /** package -> the crossalign packages it may use (DESIGN's "may use" column; the root package for everyone). */
  static final Map<String, Set<String>> MAY_USE = Map.of(
      "tensor", Set.of(),
      "tflite", Set.of("tensor"),
      "onnx", Set.of("tensor"),
      "backend", Set.of("tensor", "tflite", "onnx"),
      "port", Set.of("backend", "tensor", "tflite", "onnx"),
      "align", Set.of("tensor", "backend"),
      "report", Set.of("align", "tensor"),
      "engine", Set.of("tensor", "tflite", "onnx", "backend", "port", "align", "report"));

  /** Native libraries and the only packages that may touch their types. */
  static final Map<String, Set<String>> NATIVE_HOMES = Map.of(
      "org.bytedeco.pytorch..", Set.of("backend.torch", "port"),
      "org.bytedeco.tensorflowlite..", Set.of("backend.tflite"),
      "ai.onnxruntime..", Set.of("backend.onnx"),
      "org.bytedeco.cuda..", Set.of("backend.cudnn"),
      "org.bytedeco.javacpp..", Set.of("backend", "port"));

  /**
   * Known breaks of the rules above, origin class -> why it is still here. Remove a line when its cause is fixed; the
   * test fails if a listed class no longer breaks a rule, so the list cannot go stale.
   */
  static final Map<String, String> KNOWN = Map.of(); // none today

  /** Classes any package may use although their package is not in its column, and why. */
  static final Map<String, String> SHARED = Map.of(); // none: shared exceptions and values live in the root package

  private static JavaClasses main;

  @BeforeAll
  static void importMain() {
    main = mainClasses();
  }

  /** The main classes (no tests, no jars), as every rule over them reads them. */
  static JavaClasses mainClasses() {
    JavaClasses classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        // every module's main classes: folders in a reactor build, jars once packaged (test jars left out)
        .withImportOption(location -> !location.contains("-tests.jar"))
        .importPackages(ROOT);
    assertThat(classes.size()).as("main classes imported").isGreaterThan(200);
    // one class of each module: a module missing from the class path would leave its classes unchecked
    for (String c : List.of("tensor.HostTensor", "engine.Validator", "spark.SparkBatch", "cli.Main")) {
      assertThat(classes.contain(ROOT + "." + c)).as("main classes include " + c).isTrue();
    }
    return classes;
  }

  static Stream<Arguments> layers() {
    return MAY_USE.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0} uses only {1}")
  @MethodSource("layers")
  void packageUsesOnlyWhatDesignAllows(String pkg, Set<String> allowed) {
    layerRule(pkg, allowed).check(main);
  }

  static Stream<Arguments> natives() {
    return NATIVE_HOMES.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0} only in {1}")
  @MethodSource("natives")
  void nativeTypesStayInTheirHome(String nativePackage, Set<String> homes) {
    nativeRule(nativePackage, homes).check(main);
  }

  @Test
  void backendSubpackagesDoNotUseEachOther() {
    BACKENDS.forEach(b -> backendRule(b, true).check(main));
  }

  @Test
  void picocliOnlyInTheCli() {
    picocliRule().check(main);
  }

  @Test
  void aPicocliImportOutsideTheCliFailsTheRule() throws ClassNotFoundException {
    // A test-sources class of package engine.gpu (where the GPU check's command used to live) that uses picocli: the
    // rule must refuse it and name the class and the picocli type.
    JavaClasses fixture = new ClassFileImporter()
        .importClasses(Class.forName(ROOT + ".engine.gpu.ArchFixturePicocli"));
    assertThatThrownBy(() -> picocliRule().check(fixture))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("ArchFixturePicocli")
        .hasMessageContaining("picocli.CommandLine");
  }

  @Test
  void knownBreaksAreStillReal() {
    // Each KNOWN entry must still break a rule: otherwise it was fixed and its line is to be removed.
    for (String origin : KNOWN.keySet()) {
      List<JavaClass> matching = main.stream().filter(c -> c.getName().startsWith(origin)).toList();
      assertThat(matching).as("classes for known break " + origin).isNotEmpty();
      boolean breaks = matching.stream().anyMatch(ArchitectureTest::breaksSomeRule);
      assertThat(breaks).as(origin + " no longer breaks a rule: remove it from KNOWN (" + KNOWN.get(origin) + ")")
          .isTrue();
    }
  }

  @Test
  void aForbiddenImportFailsTheRule() throws ClassNotFoundException {
    // A test-sources class of package "tensor" that imports the engine: the real tensor rule must refuse it, and the
    // refusal must name the class and the import.
    JavaClasses fixture = new ClassFileImporter()
        .importClasses(Class.forName(ROOT + ".tensor.ArchFixtureForbiddenImport"));
    assertThatThrownBy(() -> layerRule("tensor", MAY_USE.get("tensor")).check(fixture))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("ArchFixtureForbiddenImport")
        .hasMessageContaining("dev.crossalign.engine.Validator");
  }

  @Test
  void everyPackageHasAPackageInfo() throws IOException {
    // every module's main sources: a package split over modules (backend: its API in core, its subpackages
    // in engine) needs its package-info where its classes are
    Set<String> missing = new TreeSet<>();
    for (Path root : SourceTree.mainRoots()) {
      try (Stream<Path> dirs = Files.walk(root)) {
        for (Path dir : dirs.filter(Files::isDirectory).toList()) {
          boolean hasJava;
          try (Stream<Path> files = Files.list(dir)) {
            hasJava = files.anyMatch(f -> f.toString().endsWith(".java"));
          }
          if (hasJava && !Files.exists(dir.resolve("package-info.java"))) {
            missing.add(root.relativize(dir).toString());
          }
        }
      }
    }
    assertThat(missing).as("packages without package-info.java (one paragraph: what it holds, what it may use)")
        .isEmpty();
  }

  private static final List<String> PACKAGES =
      List.of("tensor", "tflite", "onnx", "backend", "port", "align", "report", "engine", "cli", "spark");
  private static final List<String> BACKENDS = List.of("tflite", "torch", "onnx", "cudnn");

  private static ArchRule layerRule(String pkg, Set<String> allowed) {
    return layerRule(pkg, allowed, true);
  }

  private static ArchRule layerRule(String pkg, Set<String> allowed, boolean exceptKnown) {
    String[] forbidden = PACKAGES.stream().filter(o -> !o.equals(pkg) && !allowed.contains(o))
        .map(o -> ROOT + "." + o + "..").toArray(String[]::new);
    DescribedPredicate<JavaClass> target = JavaClass.Predicates.resideInAnyPackage(forbidden)
        .and(DescribedPredicate.not(JavaClass.Predicates.belongToAnyOf(shared())));
    return noClasses().that(governed(ROOT + "." + pkg + "..", new String[0], exceptKnown))
        .should().dependOnClassesThat(target)
        .because("DESIGN.md: " + pkg + " may use " + (allowed.isEmpty() ? "nothing else here" : allowed))
        .allowEmptyShould(true);
  }

  /** picocli parses command lines: only the CLI module's package; everything below it takes typed values. */
  private static ArchRule picocliRule() {
    return noClasses().that().resideOutsideOfPackage(ROOT + ".cli..")
        .should().dependOnClassesThat().resideInAPackage("picocli..")
        .because("picocli belongs to the CLI module (dev.crossalign.cli): the engine and below take typed values")
        .allowEmptyShould(true);
  }

  private static ArchRule nativeRule(String nativePackage, Set<String> homes) {
    return nativeRule(nativePackage, homes, true);
  }

  private static ArchRule nativeRule(String nativePackage, Set<String> homes, boolean exceptKnown) {
    String[] homePackages = homes.stream().map(h -> ROOT + "." + h + "..").toArray(String[]::new);
    return noClasses().that(governed(ROOT + "..", homePackages, exceptKnown))
        .should().dependOnClassesThat().resideInAPackage(nativePackage)
        .because("native types never leave " + homes + " (DESIGN: what crosses a package line is a HostTensor or a"
            + " plain Java value)")
        .allowEmptyShould(true);
  }

  private static ArchRule backendRule(String backend, boolean exceptKnown) {
    String[] others = BACKENDS.stream().filter(b -> !b.equals(backend)).map(b -> ROOT + ".backend." + b + "..")
        .toArray(String[]::new);
    return noClasses().that(governed(ROOT + ".backend." + backend + "..", new String[0], exceptKnown))
        .should().dependOnClassesThat().resideInAnyPackage(others)
        .because("each backend subpackage is the only home of its native types (DESIGN)")
        .allowEmptyShould(true);
  }

  /** Classes in {@code pkg}, outside {@code excluded}, and (when asked) not a known break. */
  private static DescribedPredicate<JavaClass> governed(String pkg, String[] excluded, boolean exceptKnown) {
    DescribedPredicate<JavaClass> in = JavaClass.Predicates.resideInAPackage(pkg);
    if (excluded.length > 0) {
      in = in.and(DescribedPredicate.not(JavaClass.Predicates.resideInAnyPackage(excluded)));
    }
    return exceptKnown ? in.and(notKnown()) : in;
  }

  private static Class<?>[] shared() {
    return SHARED.keySet().stream().map(ArchitectureTest::load).toArray(Class<?>[]::new);
  }

  private static Class<?> load(String name) {
    try {
      return Class.forName(name, false, ArchitectureTest.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("SHARED or KNOWN names a class that is gone: " + name, e);
    }
  }

  private static DescribedPredicate<JavaClass> notKnown() {
    return DescribedPredicate.describe("not a known break",
        c -> KNOWN.keySet().stream().noneMatch(k -> c.getName().startsWith(k)));
  }

  private static boolean breaksSomeRule(JavaClass c) {
    JavaClasses one = new ClassFileImporter().importClasses(load(c.getName()));
    List<ArchRule> rules = new ArrayList<>();
    MAY_USE.forEach((p, a) -> rules.add(layerRule(p, a, false)));
    NATIVE_HOMES.forEach((n, h) -> rules.add(nativeRule(n, h, false)));
    BACKENDS.forEach(b -> rules.add(backendRule(b, false)));
    rules.add(picocliRule());
    for (ArchRule r : rules) {
      try {
        r.check(one);
      } catch (AssertionError e) {
        return true;
      }
    }
    return false;
  }
}
