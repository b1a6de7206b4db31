package dev.crossalign.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Mutants of an .npz input (a zip of .npy members, what {@code --input FILE.npz} reads): the member's .npy mutated as
 * {@link FuzzMutants#npy} does, hostile member names (parent escapes, absolute, another input's, no .npy suffix, twice
 * the same), bytes of the zip's headers (sizes, CRC, compression method, offsets), a deflated member that claims a huge
 * size, truncation. Each reproducible from (seed, case number).
 */
final class FuzzNpzMutants {
  private FuzzNpzMutants() {}

  enum Kind { MEMBER_NPY, MEMBER_NAME, HEADER_BYTES, DEFLATE_CLAIM, TRUNCATION }

  /** A valid .npz: one stored member NAME.npy holding the .npy bytes. */
  static byte[] npz(String name, byte[] npy) {
    return zip(List.of(name + ".npy"), npy, false);
  }

  static FuzzMutants.Mutant mutate(String name, byte[] npy, long seed, int caseNo) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_081L + caseNo);
    Kind kind = Kind.values()[caseNo % Kind.values().length];
    byte[] b = switch (kind) {
      case MEMBER_NPY -> zip(List.of(name + ".npy"), FuzzMutants.npy(npy, seed, caseNo).bytes(), false);
      case MEMBER_NAME -> {
        List<List<String>> names = List.of(List.of("../" + name + ".npy"), List.of("/tmp/" + name + ".npy"),
            List.of(name), List.of("other.npy"), List.of(name + ".npy", name + ".npy"), List.of(""),
            List.of(name + ".npy/"), List.of(name + "\n.npy"), List.of("a/" + name + ".npy"));
        yield zip(names.get(rnd.nextInt(names.size())), npy, false);
      }
      case HEADER_BYTES -> {
        byte[] z = zip(List.of(name + ".npy"), npy, rnd.nextBoolean());
        // the local header's fields (version .. name length) and the central directory's, near the end
        int pos = rnd.nextBoolean() ? 4 + rnd.nextInt(26) : z.length - 22 - 46 - name.length() - 4 + rnd.nextInt(46);
        z[Math.max(0, Math.min(z.length - 1, pos))] = (byte) rnd.nextInt(256);
        yield z;
      }
      case DEFLATE_CLAIM -> {
        // a deflated member whose headers claim 2^31 - 1 bytes: a reader that trusts the size allocates it
        byte[] z = zip(List.of(name + ".npy"), npy, true);
        int cdir = lastIndexOf(z, new byte[] {0x50, 0x4b, 0x01, 0x02});
        putInt(z, 22, Integer.MAX_VALUE);
        if (cdir >= 0) {
          putInt(z, cdir + 24, Integer.MAX_VALUE);
        }
        yield z;
      }
      case TRUNCATION -> {
        byte[] z = zip(List.of(name + ".npy"), npy, rnd.nextBoolean());
        yield Arrays.copyOf(z, rnd.nextInt(z.length));
      }
    };
    return new FuzzMutants.Mutant("npz." + kind.name().toLowerCase(), b);
  }

  private static byte[] zip(List<String> members, byte[] data, boolean deflate) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out, StandardCharsets.UTF_8)) {
      for (String m : members) {
        ZipEntry e = new ZipEntry(m.isEmpty() ? "_" : m);
        if (!deflate) {
          CRC32 crc = new CRC32();
          crc.update(data);
          e.setMethod(ZipEntry.STORED);
          e.setSize(data.length);
          e.setCompressedSize(data.length);
          e.setCrc(crc.getValue());
        }
        try {
          z.putNextEntry(e);
        } catch (java.util.zip.ZipException dup) {
          continue; // ZipOutputStream refuses a second member of the same name: one is written
        }
        z.write(data);
        z.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void putInt(byte[] b, int pos, int v) {
    for (int i = 0; i < 4; i++) {
      b[pos + i] = (byte) (v >>> (8 * i));
    }
  }

  private static int lastIndexOf(byte[] b, byte[] pattern) {
    for (int i = b.length - pattern.length; i >= 0; i--) {
      if (Arrays.equals(b, i, i + pattern.length, pattern, 0, pattern.length)) {
        return i;
      }
    }
    return -1;
  }
}
