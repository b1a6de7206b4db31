package dev.crossalign.engine;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.align.ReferenceStats;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.TensorSink;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One pair's comparisons made while one side's run streams in, the other side held: exactly what {@link
 * Aligner#compare} gives for the two whole runs (same comparisons, same order), without holding the streaming run.
 * Each tensor is compared when it arrives and then belongs to nobody here. The streaming side is the candidate
 * ({@link #candidateStreams}) or the pair's reference ({@link #referenceStreams}: torch~onnxruntime, whose candidate
 * ran first).
 */
abstract sealed class StreamedPair implements TensorSink {
  final String pair;
  final Mode mode;
  final Tolerance tol;
  final WorstPair worst;
  final int slot;
  private long compareNanos;
  private long compareCpuNanos;
  private long pairs;

  private StreamedPair(String pair, Mode mode, Tolerance tol, WorstPair worst, int slot) {
    this.pair = pair;
    this.mode = mode;
    this.tol = tol;
    this.worst = worst;
    this.slot = slot;
  }

  /** Wall time spent comparing this pair's tensors, in ms (the run's own time excluded). */
  double compareMs() {
    return compareNanos / 1e6;
  }

  /**
   * CPU time of the comparing thread spent comparing this pair's tensors, in ms: unlike {@link #compareMs} it does not
   * grow when the other lane or another process takes the core (0 where the JVM cannot measure thread CPU time).
   */
  double compareCpuMs() {
    return compareCpuNanos / 1e6;
  }

  /** Element pairs compared. */
  long pairs() {
    return pairs;
  }

  /** One comparison, timed; {@code held}: {@code r}'s run's shared statistics, or null. */
  final Comparison compare(CapturedTensor r, CapturedTensor c, ReferenceStats held) {
    long c0 = ThreadCpu.nanos();
    long t0 = System.nanoTime();
    Comparison cmp = Aligner.compareOne(r, c, pair, mode, tol, held);
    compareNanos += System.nanoTime() - t0;
    compareCpuNanos += ThreadCpu.nanos() - c0;
    pairs += r.tensor().numel();
    return cmp;
  }

  /** The comparisons in {@link Aligner#compare}'s order; call after the run ends. */
  abstract List<Comparison> finish();

  /**
   * Compares a streaming candidate run ({@code candidateRun}: "torch", "onnxruntime.isolated", ...) with {@code
   * reference}, held. {@code slot} is the pair's place in the report, for {@link WorstPair}'s ties.
   */
  static StreamedPair candidateStreams(Activations reference, String candidateBackend, String candidateRun, Mode mode,
      Tolerance tol, WorstPair worst, int slot) {
    return new CandidateStreams(new ReferenceStats(reference), candidateBackend, candidateRun, mode, tol, worst, slot);
  }

  /**
   * As {@link #candidateStreams(Activations, String, String, Mode, Tolerance, WorstPair, int)} against the
   * validation's reference, whose tensors' own statistics every leg's comparisons share ({@link
   * LegContext#referenceStats}).
   */
  static StreamedPair candidateStreams(LegContext ctx, String candidateBackend, String candidateRun, Mode mode,
      Tolerance tol, int slot) {
    return new CandidateStreams(ctx.referenceStats(), candidateBackend, candidateRun, mode, tol, ctx.worst(), slot);
  }

  /**
   * Compares a streaming reference run with {@code candidate}, held (in a temporary file, read back a tensor at a
   * time); the reference run's outputs are named.
   */
  static StreamedPair referenceStreams(String referenceBackend, String referenceRun, List<String> referenceOutputs,
      SpilledRun candidate, String candidateRun, Mode mode, Tolerance tol, WorstPair worst, int slot) {
    return new ReferenceStreams(referenceBackend, referenceRun, referenceOutputs, candidate, candidateRun, mode, tol,
        worst, slot);
  }

  /** A sink that hands each tensor to every non-null sink of {@code sinks}, in order. */
  static TensorSink all(TensorSink... sinks) {
    List<TensorSink> live = new ArrayList<>();
    for (TensorSink s : sinks) {
      if (s != null) {
        live.add(s);
      }
    }
    return t -> live.forEach(s -> s.accept(t));
  }

  private static final class CandidateStreams extends StreamedPair {
    private final Activations reference;
    private final ReferenceStats referenceStats;
    private final String candidateBackend;
    private final String candidateRun;
    private final Map<String, Integer> position = new HashMap<>();
    private final Map<String, Comparison> byName = new HashMap<>();

    CandidateStreams(ReferenceStats referenceStats, String candidateBackend, String candidateRun, Mode mode,
        Tolerance tol, WorstPair worst, int slot) {
      super(referenceStats.held().backend() + "~" + candidateBackend, mode, tol, worst, slot);
      this.reference = referenceStats.held();
      this.referenceStats = referenceStats;
      this.candidateBackend = candidateBackend;
      this.candidateRun = candidateRun;
      int p = 0;
      for (CapturedTensor r : reference.tensors()) {
        position.putIfAbsent(r.name(), p++);
      }
    }

    @Override
    public void accept(CapturedTensor c) {
      CapturedTensor r = reference.get(c.name());
      if (r == null) {
        return; // a tensor the reference never captured: nothing to compare it with
      }
      // a name seen twice: the later tensor counts, as in a run's Activations
      Comparison cmp = compare(r, c, referenceStats);
      byName.put(c.name(), cmp);
      worst.offer(cmp, slot, position.get(c.name()), r, c, reference.backend(), candidateRun);
    }

    @Override
    List<Comparison> finish() {
      List<String> outputs = reference.outputNames();
      List<Comparison> out = new ArrayList<>();
      for (CapturedTensor r : reference.tensors()) {
        Comparison c = byName.get(r.name());
        if (c != null) {
          out.add(c);
        } else if (outputs.contains(r.name())) {
          out.add(Aligner.missing(r, pair, mode, candidateBackend));
        }
      }
      return out;
    }
  }

  private static final class ReferenceStreams extends StreamedPair {
    private final String referenceRun;
    private final Set<String> referenceOutputs;
    private final SpilledRun candidate;
    private final String candidateRun;
    /** In arrival order (the reference run's own order); a name seen again keeps its first place. */
    private final LinkedHashMap<String, Comparison> ordered = new LinkedHashMap<>();

    ReferenceStreams(String referenceBackend, String referenceRun, List<String> referenceOutputs,
        SpilledRun candidate, String candidateRun, Mode mode, Tolerance tol, WorstPair worst, int slot) {
      super(referenceBackend + "~" + candidate.backend(), mode, tol, worst, slot);
      this.referenceRun = referenceRun;
      this.referenceOutputs = Set.copyOf(referenceOutputs);
      this.candidate = candidate;
      this.candidateRun = candidateRun;
    }

    @Override
    public void accept(CapturedTensor r) {
      CapturedTensor c = candidate.get(r.name());
      Comparison cmp = null;
      if (c != null) {
        cmp = compare(r, c, null); // r streams; its other comparison, as a candidate, may read it permuted
        worst.offer(cmp, slot, positionOf(r.name()), r, c, referenceRun, candidateRun);
      } else if (referenceOutputs.contains(r.name())) {
        cmp = Aligner.missing(r, pair, mode, candidate.backend());
      }
      // a name seen again keeps its first place (LinkedHashMap.put), its later tensor counts, as in a run's
      // Activations; null: that tensor is not compared
      ordered.put(r.name(), cmp);
    }

    private int positionOf(String name) {
      if (!ordered.containsKey(name)) {
        return ordered.size();
      }
      int i = 0;
      for (String k : ordered.keySet()) {
        if (k.equals(name)) {
          break;
        }
        i++;
      }
      return i;
    }

    @Override
    List<Comparison> finish() {
      List<Comparison> out = new ArrayList<>();
      for (Comparison c : ordered.values()) {
        if (c != null) {
          out.add(c);
        }
      }
      return out;
    }
  }
}
