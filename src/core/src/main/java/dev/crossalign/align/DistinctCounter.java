package dev.crossalign.align;

/**
 * Counts distinct values exactly up to a cap, then stops (a saturated count means "at least the cap"). Values are
 * compared numerically: -0.0 counts as 0.0 and every NaN as one value. Open addressing over primitive longs, grown
 * by doubling up to twice the cap, so a small tensor costs a small table and nothing is boxed.
 */
final class DistinctCounter {
  private static final long MIX = 0x9E3779B97F4A7C15L;
  private final int cap;
  private final int maxTableSize;
  private long[] table;
  private int mask;
  private int shift;
  /** +0.0 has the bit pattern 0, which marks an empty slot; it is tracked apart. */
  private boolean hasZero;
  private int size;

  DistinctCounter(int cap) {
    this.cap = cap;
    this.maxTableSize = Integer.highestOneBit(Math.max(cap, 1)) << 2;
    allocate(Math.min(1024, maxTableSize));
  }

  private void allocate(int tableSize) {
    table = new long[tableSize];
    mask = tableSize - 1;
    shift = 64 - Integer.numberOfTrailingZeros(tableSize);
  }

  boolean saturated() {
    return size >= cap;
  }

  /** The exact count when below the cap; the cap itself once saturated. */
  int count() {
    return size;
  }

  void add(double v) {
    if (size >= cap) {
      return;
    }
    long key = Double.doubleToLongBits(v == 0.0 ? 0.0 : v);
    if (key == 0L) {
      if (!hasZero) {
        hasZero = true;
        size++;
      }
      return;
    }
    if (insert(key)) {
      size++;
      // keep the load factor <= 1/2 while the table may still grow
      if (size * 2 > table.length && table.length < maxTableSize) {
        rehash();
      }
    }
  }

  private boolean insert(long key) {
    int i = (int) ((key * MIX) >>> shift) & mask;
    while (true) {
      long k = table[i];
      if (k == 0L) {
        table[i] = key;
        return true;
      }
      if (k == key) {
        return false;
      }
      i = (i + 1) & mask;
    }
  }

  private void rehash() {
    long[] old = table;
    allocate(old.length * 2);
    for (long k : old) {
      if (k != 0L) {
        insert(k);
      }
    }
  }
}
