package dev.crossalign.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many malloc arenas the process may have, read from the two places glibc takes it from at start-up. */
class NativeMemoryArenaTest {
  @Test
  void theVariableOrTheTunableOrUnset() {
    assertThat(NativeMemory.arenaMax(null, null)).isEqualTo("unset");
    assertThat(NativeMemory.arenaMax(null, "")).isEqualTo("unset");
    assertThat(NativeMemory.arenaMax(null, "1")).isEqualTo("1");
    assertThat(NativeMemory.arenaMax("glibc.malloc.mmap_threshold=4096:glibc.malloc.arena_max=3", null))
        .isEqualTo("3");
    assertThat(NativeMemory.arenaMax("glibc.malloc.arena_max=1", "2")).isEqualTo("1");
    // a tunables string without the arena limit leaves the variable's
    assertThat(NativeMemory.arenaMax("glibc.malloc.hugetlb=1", "2")).isEqualTo("2");
  }

  @Test
  void thisProcesssValueIsWhatTheEnvironmentSays() {
    String env = System.getenv("MALLOC_ARENA_MAX");
    String tunables = System.getenv("GLIBC_TUNABLES");
    if (tunables == null || !tunables.contains("glibc.malloc.arena_max=")) {
      assertThat(NativeMemory.arenaMax()).isEqualTo(env == null || env.isEmpty() ? "unset" : env);
    }
  }
}
