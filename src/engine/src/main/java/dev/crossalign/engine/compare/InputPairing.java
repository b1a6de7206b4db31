package dev.crossalign.engine.compare;

import java.util.ArrayList;
import java.util.List;

/**
 * An input of side A fed, as is or permuted, to side B's input {@code b}.
 *
 * @param a the input of A (its generated or given tensor is the one fed)
 * @param b the input of B it feeds
 * @param permutation torch.permute-style permutation applied to A's tensor for B, null when fed as is
 * @param how "name" or "order" (by position among unpaired inputs, with a fitting shape)
 */
public record InputPairing(String a, String b, int[] permutation, String how) {
  public List<Integer> permutationList() {
    if (permutation == null) {
      return null;
    }
    List<Integer> l = new ArrayList<>();
    for (int v : permutation) {
      l.add(v);
    }
    return l;
  }
}
