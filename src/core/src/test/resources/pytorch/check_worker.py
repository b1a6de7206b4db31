"""Runs crossalign-generated modules of writer-built op models in Debian's Python PyTorch, for GeneratedCodeCheck.

A long-lived worker (one torch import per test JVM): reads one directory path per line on stdin; each directory
holds model.py (class Model), weights.npz (the state_dict, one array per attribute) and inputs.npz (forward's
keyword arguments). Runs the module eagerly and torch.jit.script-ed, both with capture=True, and writes eager.npz
and scripted.npz (outputs as out:K, every captured tensor under its TFLite name). Answers one line per request:
"ok" or "error: <what>".
"""
import importlib.util
import sys
import traceback

import numpy as np
import torch


def run(d):
    spec = importlib.util.spec_from_file_location("generated_%d" % abs(hash(d)), d + "/model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    m = mod.Model()
    weights = np.load(d + "/weights.npz")
    m.load_state_dict({k: torch.from_numpy(weights[k].copy()) for k in weights.files}, strict=True)
    m.eval()
    data = np.load(d + "/inputs.npz")
    kwargs = {n: torch.from_numpy(data[n].copy()) for n in data.files}
    with torch.no_grad():
        for label, fn in (("eager", m), ("scripted", torch.jit.script(m))):
            result = fn(capture=True, **kwargs)
            res = {"out:%d" % i: t.detach().numpy() for i, t in enumerate(result[:-1])}
            for k, v in result[-1].items():
                res[k] = v.detach().numpy()
            np.savez(d + "/" + label + ".npz", **res)


def main():
    torch.set_num_threads(1)
    print("ready torch " + torch.__version__, flush=True)
    for line in sys.stdin:
        d = line.strip()
        if not d:
            continue
        try:
            run(d)
            print("ok", flush=True)
        except Exception as e:  # one bad module must not end the worker
            last = traceback.format_exc().strip().splitlines()
            print("error: " + (" | ".join(last[-3:]) if last else repr(e)).replace("\n", " "), flush=True)


if __name__ == "__main__":
    main()
