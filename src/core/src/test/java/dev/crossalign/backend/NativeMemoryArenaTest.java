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

  @Test
  void aPreloadedMallocIsNamedWithItsFile() {
    String glibcOnly = "7f00-7f10 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        + "7f20-7f30 rw-p 00000000 00:00 0 [heap]\n"
        + "7f40-7f50 r-xp 00000000 08:01 13 /root/.javacpp/cache/x/libtorch_cpu.so";
    assertThat(NativeMemory.allocator(java.util.List.of(glibcOnly.split("\n")))).isEqualTo("glibc");
    String tc = glibcOnly + "\n7f60-7f70 r-xp 00000000 08:01 14 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10";
    assertThat(NativeMemory.allocator(java.util.List.of(tc.split("\n"))))
        .isEqualTo("tcmalloc (/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10)");
    String je = glibcOnly + "\n7f60-7f70 r-xp 00000000 08:01 14 /opt/lib/libjemalloc.so.2";
    assertThat(NativeMemory.allocator(java.util.List.of(je.split("\n")))).isEqualTo("jemalloc (/opt/lib/libjemalloc.so.2)");
    // a library whose name only contains the word is not a malloc
    String other = glibcOnly + "\n7f60-7f70 r-xp 00000000 08:01 14 /opt/lib/libnotcmalloc.so";
    assertThat(NativeMemory.allocator(java.util.List.of(other.split("\n")))).isEqualTo("glibc");
  }

  @Test
  void thisProcesssAllocatorFollowsLdPreload() {
    String preload = System.getenv("LD_PRELOAD");
    if (preload == null || !preload.contains("malloc")) {
      assertThat(NativeMemory.allocator()).isEqualTo("glibc");
    } else {
      assertThat(NativeMemory.allocator()).doesNotStartWith("glibc");
    }
  }
}
