#!/usr/bin/python3
"""Compares two `validate --json` reports: identical apart from timing_ms and the distinct counts the second one left
uncounted (null: a passing continuous tensor, see the README's JSON section). Prints what differs; exit 1 if anything
else does.

    /usr/bin/python3 benchmarks/validate-json-diff.py before.json after.json
"""
import json
import sys

before, after = (json.load(open(p)) for p in sys.argv[1:3])
for d in (before, after):
    d.pop("timing_ms", None)
nulled = 0
for tb, ta in zip(before.get("tensors", []), after.get("tensors", [])):
    for cb, ca in zip(tb.get("comparisons", []), ta.get("comparisons", [])):
        for k in ("distinct_ref", "distinct_cand"):
            if ca.get(k) is None and cb.get(k) is not None:
                ca[k] = cb[k]
                nulled += 1
same = before == after
print(f"{'identical' if same else 'DIFFERENT'} apart from timing_ms; {nulled} distinct counts not counted (null)")
if not same:
    for k in before:
        if before[k] != after.get(k):
            print(f"  differs: {k}")
sys.exit(0 if same else 1)
