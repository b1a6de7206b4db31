#!/usr/bin/python3
"""Runs a command, samples the summed VmRSS of its whole process tree every INTERVAL s from /proc.
Usage: rss_sample.py OUT.tsv INTERVAL -- cmd args...  Writes t, total_kb, n_procs, per-pid rss; prints peak."""
import os, sys, time, subprocess
out, interval = sys.argv[1], float(sys.argv[2])
cmd = sys.argv[sys.argv.index('--') + 1:]
p = subprocess.Popen(cmd)
def children():
    kids = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open(f'/proc/{d}/stat') as f:
                    s = f.read()
                ppid = int(s[s.rindex(')') + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    tree, todo = [], [p.pid]
    while todo:
        x = todo.pop()
        tree.append(x)
        todo.extend(kids.get(x, []))
    return tree
def rss(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
peak, peak_t, t0 = 0, 0, time.time()
with open(out, 'w') as f:
    while p.poll() is None:
        tree = children()
        per = [(q, rss(q)) for q in tree]
        tot = sum(r for _, r in per)
        t = time.time() - t0
        f.write(f"{t:.1f}\t{tot}\t{len(tree)}\t" + ",".join(f"{q}:{r}" for q, r in per) + "\n")
        f.flush()
        if tot > peak:
            peak, peak_t = tot, t
        time.sleep(interval)
print(f"rss_sample: exit {p.returncode}, wall {time.time()-t0:.1f} s, peak tree RSS {peak/1024:.0f} MiB at {peak_t:.0f} s", file=sys.stderr)
sys.exit(p.returncode)
