package dev.crossalign.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs fuzz cases through the CLI in child JVMs, many cases per child. When a child dies (a native crash) or stops
 * answering (a hang), the case it was running is recorded as such and a fresh child takes the rest.
 */
final class FuzzPool {
  /** A CLI run: an id and its arguments. */
  record Case(String id, List<String> args) {}

  enum Outcome { RAN, CRASHED, HUNG }

  /** What became of a case; childExit is the dead child's exit status (CRASHED), status the CLI's (RAN). */
  record Result(Case c, Outcome outcome, int status, String err, int childExit) {}

  private final Path work;
  private final long perCaseMillis;
  private final int children;

  FuzzPool(Path work, long perCaseMillis, int children) {
    this.work = work;
    this.perCaseMillis = perCaseMillis;
    this.children = children;
  }

  List<Result> run(List<Case> cases) throws Exception {
    List<List<Case>> shares = new ArrayList<>();
    for (int i = 0; i < children; i++) {
      shares.add(new ArrayList<>());
    }
    for (int i = 0; i < cases.size(); i++) {
      shares.get(i % children).add(cases.get(i));
    }
    ExecutorService ex = Executors.newFixedThreadPool(children);
    try {
      List<Future<List<Result>>> fs = new ArrayList<>();
      for (int i = 0; i < children; i++) {
        int k = i;
        fs.add(ex.submit(() -> runShare(shares.get(k), "share" + k)));
      }
      List<Result> all = new ArrayList<>();
      for (Future<List<Result>> f : fs) {
        all.addAll(f.get());
      }
      return all;
    } finally {
      ex.shutdownNow();
    }
  }

  private List<Result> runShare(List<Case> share, String name) throws Exception {
    Map<String, Case> byId = new LinkedHashMap<>();
    share.forEach(c -> byId.put(c.id(), c));
    List<Result> results = new ArrayList<>();
    int next = 0;
    int spawn = 0;
    while (next < share.size()) {
      List<Case> rest = share.subList(next, share.size());
      Path caseFile = work.resolve(name + "-" + spawn + ".cases");
      StringBuilder sb = new StringBuilder();
      for (Case c : rest) {
        sb.append(c.id()).append('\t').append(String.join(String.valueOf(FuzzChild.ARG_SEP), c.args())).append('\n');
      }
      Files.writeString(caseFile, sb, StandardCharsets.UTF_8);
      Path childErr = work.resolve(name + "-" + spawn + ".stderr");
      spawn++;
      Process p = new ProcessBuilder(javaBin(), "-Xmx2g", "-Xss64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-XX:ErrorFile=" + work.resolve("hs_err_%p.log"),
          "-cp", System.getProperty("java.class.path"), FuzzChild.class.getName(), caseFile.toString())
          .redirectError(childErr.toFile())
          .start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            lines.add(l);
          }
        } catch (IOException e) {
          // the child died: EOF below
        }
        lines.add("EOF");
      });
      reader.setDaemon(true);
      reader.start();
      String running = null;
      int done = 0;
      // The first case also waits for the JVM and the native libraries to start.
      long wait = perCaseMillis + 60_000;
      while (true) {
        String l = lines.poll(wait, TimeUnit.MILLISECONDS);
        wait = perCaseMillis;
        if (l == null) {
          p.destroyForcibly().waitFor();
          if (running == null) {
            throw new IllegalStateException("fuzz child " + name + " printed nothing; stderr in " + childErr);
          }
          results.add(new Result(byId.get(running), Outcome.HUNG, -1, "", -1));
          done++;
          break;
        }
        if (l.equals("EOF")) {
          int exit = p.waitFor();
          if (running != null) {
            results.add(new Result(byId.get(running), Outcome.CRASHED, -1, Files.readString(childErr), exit));
            done++;
          } else if (done < rest.size()) {
            throw new IllegalStateException("fuzz child " + name + " exited " + exit + " between cases; stderr in "
                + childErr + ": " + tail(Files.readString(childErr)));
          }
          break;
        }
        if (l.startsWith("B ")) {
          running = l.substring(2);
        } else if (l.startsWith("E ")) {
          String[] parts = l.split(" ", 4);
          results.add(new Result(byId.get(parts[1]), Outcome.RAN, Integer.parseInt(parts[2]),
              parts.length > 3 ? FuzzChild.unescape(parts[3]) : "", 0));
          running = null;
          done++;
        }
      }
      next += done;
    }
    return results;
  }

  private static String tail(String s) {
    return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
