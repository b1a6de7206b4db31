package dev.crossalign;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendProvider;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Backends are opened through their {@link BackendProvider} (issue 14, item 1): a {@link Backend} implementation is
 * constructed (its constructors, or a static factory returning a Backend) only inside its own package, which holds
 * its provider, or by a provider. Everything else goes through {@code Backends.open} with a BackendSpec, so that a
 * new backend or a new setting is one provider's business. {@link #aDirectOpenIsCaught()} is the test of the test.
 */
class BackendConstructionTest {
  private static final String ROOT = "dev.crossalign";

  /**
   * Classes that still open a backend directly, and why; the test fails when one no longer does, so that its line is
   * removed. None today: the truth lab's float64 port was the last (now {@code PortOptions.FLOAT64} through the torch
   * provider).
   */
  static final Map<String, String> PENDING = Map.of();

  private static JavaClasses main;

  @BeforeAll
  static void importMain() {
    main = ArchitectureTest.mainClasses();
  }

  @Test
  void backendsAreConstructedOnlyByTheirPackageAndProviders() {
    Set<String> found = violations(main);
    Set<String> unexpected = new TreeSet<>();
    Set<String> pendingSeen = new TreeSet<>();
    for (String v : found) {
      String origin = v.substring(0, v.indexOf(' '));
      if (PENDING.containsKey(origin)) {
        pendingSeen.add(origin);
      } else {
        unexpected.add(v);
      }
    }
    assertThat(unexpected).as("backends opened directly: use Backends.open(kind, spec[.withOptions(...)])").isEmpty();
    assertThat(pendingSeen).as("PENDING entries that open no backend directly any more: remove them")
        .containsExactlyInAnyOrderElementsOf(PENDING.keySet());
  }

  @Test
  void theRuleSeesTheBackendsAndTheirFactories() {
    Set<String> backends = new TreeSet<>();
    for (JavaClass c : main) {
      if (isBackendImplementation(c)) {
        backends.add(c.getSimpleName());
      }
    }
    assertThat(backends).contains("TfliteBackend", "OrtBackend", "PortBackend");
  }

  @Test
  void aDirectOpenIsCaught() throws ClassNotFoundException {
    JavaClasses fixture = new ClassFileImporter().importClasses(
        Class.forName(ROOT + ".engine.compare.ArchFixtureDirectBackend"),
        dev.crossalign.backend.tflite.TfliteBackend.class, dev.crossalign.backend.tflite.TfliteProvider.class,
        dev.crossalign.port.PortBackend.class, dev.crossalign.port.TorchProvider.class,
        Backend.class, BackendProvider.class);
    assertThat(violations(fixture)).containsExactly(
        ROOT + ".engine.compare.ArchFixtureDirectBackend calls PortBackend.openFloat64",
        ROOT + ".engine.compare.ArchFixtureDirectBackend calls TfliteBackend.open");
  }

  /** "origin.Class calls Target.member" for each construction of a Backend outside its package and providers. */
  static Set<String> violations(JavaClasses classes) {
    Set<String> out = new TreeSet<>();
    for (JavaClass backend : classes) {
      if (!isBackendImplementation(backend)) {
        continue;
      }
      for (JavaAccess<?> access : backend.getAccessesToSelf()) {
        JavaClass origin = access.getOriginOwner();
        if (!constructs(access, backend) || allowed(origin, backend)) {
          continue;
        }
        out.add(topLevel(origin).getName() + " calls " + backend.getSimpleName() + "." + access.getName());
      }
    }
    return out;
  }

  private static boolean isBackendImplementation(JavaClass c) {
    return !c.isInterface() && c.isAssignableTo(Backend.class) && !c.getModifiers().contains(JavaModifier.ABSTRACT);
  }

  /** A constructor call, or a call of a static method of the backend that returns a Backend (open, openFloat64). */
  private static boolean constructs(JavaAccess<?> access, JavaClass backend) {
    if (!(access.getTarget() instanceof com.tngtech.archunit.core.domain.AccessTarget.CodeUnitCallTarget call)) {
      return false;
    }
    if (access.getName().equals(com.tngtech.archunit.core.domain.JavaConstructor.CONSTRUCTOR_NAME)) {
      return true;
    }
    return call.resolveMember().map(m -> m.getModifiers().contains(JavaModifier.STATIC)
        && m.getRawReturnType().isAssignableTo(Backend.class)).orElse(false);
  }

  private static boolean allowed(JavaClass origin, JavaClass backend) {
    return origin.getPackageName().equals(backend.getPackageName()) || topLevel(origin).isAssignableTo(BackendProvider.class);
  }

  private static JavaClass topLevel(JavaClass c) {
    JavaClass t = c;
    while (t.getEnclosingClass().isPresent()) {
      t = t.getEnclosingClass().get();
    }
    return t;
  }
}
