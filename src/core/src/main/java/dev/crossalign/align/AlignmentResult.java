package dev.crossalign.align;

import dev.crossalign.UnsupportedOp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything one validation found: what was compared, how it went, and the verdict. Immutable; maps are kept sorted
 * by key so that the same result always renders the same way.
 *
 * @param model a label for the model (file name or path as given)
 * @param device where the candidates ran ("cpu", "cuda:0")
 * @param seed the seed of the generated inputs
 * @param tolerance the tolerance every comparison used
 * @param backends backend names, reference first
 * @param comparisons every comparison, per pair and mode, each in the reference's topological order
 * @param firstDivergence the failing comparison earliest in topological order over all pairs and modes (null when
 *     none fails)
 * @param unsupported op types a backend could not run
 * @param verdict see {@link #verdictOf}
 * @param notes free lines for the reader (e.g. what naive padding would have cost)
 * @param timingMs wall time per phase in milliseconds: the only fields that differ between two identical runs
 * @param config the effective configuration, as strings
 * @param truth every backend's error against the float64 truth per op output, with derived bounds and diagnoses
 *     (issue 13); null when the run did not compute it (validate without --truth or --tolerance auto)
 * @param truthDecides whether {@code truth}'s verdict ({@link TruthTable.Auto#aligned}) decides the run's exit
 *     status (--tolerance auto) instead of {@code verdict}, which stays the fixed tolerance's
 */
public record AlignmentResult(
    String model,
    String device,
    long seed,
    Tolerance tolerance,
    List<String> backends,
    List<Comparison> comparisons,
    Comparison firstDivergence,
    List<UnsupportedOp> unsupported,
    Verdict verdict,
    List<String> notes,
    SortedMap<String, Double> timingMs,
    SortedMap<String, String> config,
    TruthTable truth,
    boolean truthDecides) {

  /** A result without a float64 truth. */
  public AlignmentResult(String model, String device, long seed, Tolerance tolerance, List<String> backends,
      List<Comparison> comparisons, Comparison firstDivergence, List<UnsupportedOp> unsupported, Verdict verdict,
      List<String> notes, SortedMap<String, Double> timingMs, SortedMap<String, String> config) {
    this(model, device, seed, tolerance, backends, comparisons, firstDivergence, unsupported, verdict, notes, timingMs,
        config, null, false);
  }

  public AlignmentResult {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(tolerance, "tolerance");
    backends = List.copyOf(backends);
    comparisons = List.copyOf(comparisons);
    unsupported = List.copyOf(unsupported);
    Objects.requireNonNull(verdict, "verdict");
    notes = List.copyOf(notes);
    timingMs = Collections.unmodifiableSortedMap(new TreeMap<>(timingMs));
    config = Collections.unmodifiableSortedMap(new TreeMap<>(config));
    if (truthDecides && truth == null) {
      throw new IllegalArgumentException("the truth cannot decide a run that has none");
    }
  }

  /**
   * This result with {@code table} as its float64 truth, deciding the exit status when {@code decides}, and
   * {@code ms} (what computing it cost) as timing "truth".
   */
  public AlignmentResult withTruth(TruthTable table, boolean decides, double ms) {
    TreeMap<String, Double> t = new TreeMap<>(timingMs);
    t.put("truth", ms);
    return new AlignmentResult(model, device, seed, tolerance, backends, comparisons, firstDivergence, unsupported,
        verdict, notes, t, config, Objects.requireNonNull(table, "table"), decides);
  }

  /**
   * The verdict that decides the exit status: the truth's under --tolerance auto (unless the fixed run is
   * INCOMPLETE: no verdict then), else {@link #verdict}.
   */
  public Verdict decidingVerdict() {
    if (!truthDecides || verdict == Verdict.INCOMPLETE) {
      return verdict;
    }
    return truth.auto().aligned() ? Verdict.ALIGNED : Verdict.MISALIGNED;
  }

  /** Builds a result whose verdict and first divergence follow from the comparisons and unsupported ops. */
  public static AlignmentResult of(
      String model,
      String device,
      long seed,
      Tolerance tolerance,
      List<String> backends,
      List<Comparison> comparisons,
      List<UnsupportedOp> unsupported,
      List<String> notes,
      Map<String, Double> timingMs,
      Map<String, String> config) {
    return new AlignmentResult(model, device, seed, tolerance, backends, comparisons,
        firstFailing(comparisons), unsupported, verdictOf(comparisons, unsupported), notes,
        new TreeMap<>(timingMs), new TreeMap<>(config));
  }

  /**
   * INCOMPLETE when no tensor was compared, or when ops a backend cannot run kept a model output from being compared
   * (unsupported ops and a MISSING comparison); else MISALIGNED when any comparison fails (out of tolerance, shape
   * mismatch, missing output); else ALIGNED.
   */
  public static Verdict verdictOf(List<Comparison> comparisons, List<UnsupportedOp> unsupported) {
    boolean anyCompared = comparisons.stream().anyMatch(c -> c.status() == Comparison.Status.COMPARED);
    boolean anyMissing = comparisons.stream().anyMatch(c -> c.status() == Comparison.Status.MISSING);
    if (!anyCompared || (!unsupported.isEmpty() && anyMissing)) {
      return Verdict.INCOMPLETE;
    }
    return comparisons.stream().allMatch(Comparison::passed) ? Verdict.ALIGNED : Verdict.MISALIGNED;
  }

  /** The failing comparison with the lowest topological index (unknown index last; ties: list order), or null. */
  public static Comparison firstFailing(List<Comparison> comparisons) {
    Comparison best = null;
    for (Comparison c : comparisons) {
      if (!c.passed() && (best == null || topoKey(c) < topoKey(best))) {
        best = c;
      }
    }
    return best;
  }

  /** The first failing comparison of each pair and mode, in the order the pairs and modes first appear. */
  public List<Comparison> firstDivergences() {
    Map<String, List<Comparison>> byPairMode = new LinkedHashMap<>();
    for (Comparison c : comparisons) {
      byPairMode.computeIfAbsent(c.pair() + "\u0000" + c.mode(), k -> new ArrayList<>()).add(c);
    }
    List<Comparison> out = new ArrayList<>();
    for (List<Comparison> group : byPairMode.values()) {
      Comparison f = firstFailing(group);
      if (f != null) {
        out.add(f);
      }
    }
    return out;
  }

  /**
   * Comparisons sorted failing first, then by {@link ErrorScale#error} descending (rel_l2, or max_abs where the
   * reference is numerically zero); uncomparable ones count as worst.
   */
  public List<Comparison> worstFirst() {
    List<Comparison> sorted = new ArrayList<>(comparisons);
    sorted.sort(ErrorScale.worstFirst());
    return sorted;
  }

  /** How many comparisons were made, per pair and mode. */
  public ComparisonCounts counts() {
    return ComparisonCounts.of(comparisons);
  }

  private static long topoKey(Comparison c) {
    return c.index() < 0 ? Long.MAX_VALUE : c.index();
  }
}
