package dev.crossalign.tensor;

import dev.crossalign.CrossalignException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * numpy's .npz: a zip of {@code NAME.npy} entries, stored (np.savez) or deflated (np.savez_compressed). Both are
 * read; {@link #write} stores, {@link #writeCompressed} deflates.
 */
public final class Npz {
  /** Deflate cannot expand more than about 1032:1; an entry that claims more is lying. */
  private static final long MAX_RATIO = 1100;

  private static final LocalDateTime EPOCH = LocalDateTime.of(1980, 1, 1, 0, 0);

  private Npz() {}

  /** Arrays in the archive's order, keyed by entry name without ".npy". */
  public static LinkedHashMap<String, HostTensor> read(Path path) {
    String label = path.toString();
    long fileSize;
    try {
      fileSize = Files.size(path);
    } catch (NoSuchFileException e) {
      throw CrossalignException.input(label + ": no such file");
    } catch (IOException e) {
      throw CrossalignException.input(label + ": cannot read: " + AtomicFiles.describe(e));
    }
    RegularFiles.require(path, label);
    LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(path.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        String entryLabel = label + "!" + e.getName();
        if (e.isDirectory()) {
          continue;
        }
        if (!e.getName().endsWith(".npy")) {
          throw CrossalignException.input(entryLabel + ": not a valid .npz file: entry is not a .npy array");
        }
        String name = e.getName().substring(0, e.getName().length() - 4);
        long cap = fileSize > Long.MAX_VALUE / MAX_RATIO ? Long.MAX_VALUE : fileSize * MAX_RATIO;
        if (e.getSize() >= 0) {
          cap = Math.min(cap, e.getSize());
        }
        HostTensor t;
        try (InputStream in = new BufferedInputStream(zip.getInputStream(e), 1 << 16)) {
          t = Npy.read(in, entryLabel, cap, false);
        } catch (ZipException ze) {
          throw CrossalignException.input(entryLabel + ": corrupt entry: " + AtomicFiles.describe(ze));
        }
        if (out.put(name, t) != null) {
          throw CrossalignException.input(label + ": not a valid .npz file: array '" + name + "' appears twice");
        }
      }
    } catch (ZipException e) {
      throw CrossalignException.input(label + ": not a valid .npz file (not a zip archive): "
          + AtomicFiles.describe(e));
    } catch (IOException e) {
      throw CrossalignException.input(label + ": cannot read: " + AtomicFiles.describe(e));
    }
    return out;
  }

  /** Writes the arrays uncompressed, as np.savez does; atomically (temp file + move). */
  public static void write(Path path, Map<String, HostTensor> arrays) {
    write(path, arrays, false);
  }

  /** Writes the arrays deflated, as np.savez_compressed does; atomically (temp file + move). */
  public static void writeCompressed(Path path, Map<String, HostTensor> arrays) {
    write(path, arrays, true);
  }

  private static void write(Path path, Map<String, HostTensor> arrays, boolean deflate) {
    for (String name : arrays.keySet()) {
      if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
        throw CrossalignException.input("cannot write " + path + ": invalid array name '" + name + "'");
      }
    }
    AtomicFiles.write(path, os -> {
      ZipOutputStream zip = new ZipOutputStream(os);
      for (Map.Entry<String, HostTensor> a : arrays.entrySet()) {
        ZipEntry e = new ZipEntry(a.getKey() + ".npy");
        e.setTimeLocal(EPOCH); // deterministic bytes: same arrays, same file
        if (deflate) {
          e.setMethod(ZipEntry.DEFLATED);
          zip.putNextEntry(e);
          Npy.writeTo(zip, Npy.header(a.getValue().dtype(), a.getValue().shape()), a.getValue());
        } else {
          byte[] bytes = Npy.toBytes(a.getValue());
          CRC32 crc = new CRC32();
          crc.update(bytes);
          e.setMethod(ZipEntry.STORED);
          e.setSize(bytes.length);
          e.setCompressedSize(bytes.length);
          e.setCrc(crc.getValue());
          zip.putNextEntry(e);
          zip.write(bytes);
        }
        zip.closeEntry();
      }
      zip.finish();
    });
  }
}
