package dev.crossalign.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

class NativeLoadsTest {
  @Test
  void sharedJavaCppClassesComeFromItsJarWithoutTheBuildTools() {
    List<String> names = NativeLoads.javaCppCoreClasses();
    assertThat(names).contains("org.bytedeco.javacpp.Loader", "org.bytedeco.javacpp.Pointer",
        "org.bytedeco.javacpp.FloatPointer", "org.bytedeco.javacpp.PointerScope",
        "org.bytedeco.javacpp.indexer.FloatIndexer");
    // read from the jar, not only the named fallbacks: the indexer package alone has dozens of classes
    assertThat(names.stream().filter(n -> n.startsWith("org.bytedeco.javacpp.indexer.")).count())
        .isGreaterThan(20);
    assertThat(names).noneMatch(n -> n.startsWith("org.bytedeco.javacpp.tools."))
        .noneMatch(n -> n.startsWith("org.bytedeco.javacpp.annotation."));
  }

  @Test
  void awaitReturnsWithTheLibrariesLoaded() {
    NativeLoads loads = NativeLoads.start(Set.of(BackendKind.ONNXRUNTIME, BackendKind.TORCH, BackendKind.TFLITE));
    for (BackendKind k : List.of(BackendKind.TFLITE, BackendKind.TORCH, BackendKind.ONNXRUNTIME)) {
      loads.await(k);
    }
    assertThat(Loader.getLoadedLibraries().keySet()).anyMatch(n -> n.contains("jnitensorflowlite"))
        .anyMatch(n -> n.contains("jnitorch"));
    // a second request shares the loads made: its futures are the first request's
    NativeLoads again = NativeLoads.start(Set.of(BackendKind.TFLITE));
    again.await(BackendKind.TFLITE);
    again.await(BackendKind.TORCH); // not named: returns without waiting
  }
}
