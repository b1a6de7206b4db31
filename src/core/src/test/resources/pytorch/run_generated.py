"""Runs a crossalign-generated PyTorch package in Debian's Python PyTorch, independently of the JVM.

usage: run_generated.py DIR INPUTS.npz OUTDIR [--onnx OPSET]
Writes OUTDIR/eager.npz (outputs as out:NAME, and every captured tensor under its TFLite name), truth.npz (the
outputs of the same module run in float64), scripted.npz and archive.npz (outputs of torch.jit.script(model) and torch.jit.load(model.pt)), and with --onnx OUTDIR/model.onnx
exported by torch.onnx.export and checked by onnx.checker.check_model(full_check=True). Prints one line per step.
"""
import copy
import importlib.util
import sys

import numpy as np
import torch


def load_module(d):
    spec = importlib.util.spec_from_file_location("generated_model", d + "/model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def outputs_dict(result, names):
    out = {}
    for i, t in enumerate(result[:-1]):
        out["out:" + names[i]] = t.detach().numpy()
    return out


def main():
    d, inputs_path, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    opset = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--onnx" else None
    torch.set_num_threads(1)
    mod = load_module(d)
    cls = getattr(mod, "Model")
    m = cls()
    missing = m.load_state_dict(torch.load(d + "/weights.pth"), strict=True)
    m.eval()
    data = np.load(inputs_path)
    names = [n for n in data.files]
    args = [torch.from_numpy(data[n]) for n in names]
    with torch.no_grad():
        eager = m(*args, capture=True)
        res = outputs_dict(eager, [str(i) for i in range(len(eager) - 1)])
        for k, v in eager[-1].items():
            res[k] = v.detach().numpy()
        np.savez(outdir + "/eager.npz", **res)
        print("eager ok: %d outputs, %d captured" % (len(eager) - 1, len(eager[-1])))
        # the same code in float64 (weights, tables and float inputs in double): the exact result's stand-in, to
        # tell float32 rounding (TFLite's too) from a difference in semantics
        m64 = copy.deepcopy(m).double()
        t = m64(*[a.double() if a.is_floating_point() else a for a in args], capture=False)
        np.savez(outdir + "/truth.npz", **outputs_dict(t, [str(i) for i in range(len(t) - 1)]))
        print("float64 ok")
        scripted = torch.jit.script(m)
        s = scripted(*args, False)
        np.savez(outdir + "/scripted.npz", **outputs_dict(s, [str(i) for i in range(len(s) - 1)]))
        print("scripted ok")
        archived = torch.jit.load(d + "/model.pt")
        a = archived(*args, False)
        np.savez(outdir + "/archive.npz", **outputs_dict(a, [str(i) for i in range(len(a) - 1)]))
        print("archive ok")
    if opset is not None:
        import onnx

        class Export(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, *xs):
                return self.inner(*xs)[:-1]

        torch.onnx.export(Export(m), tuple(args), outdir + "/model.onnx", opset_version=opset,
                          input_names=names, output_names=["output_%d" % i for i in range(len(eager) - 1)])
        model = onnx.load(outdir + "/model.onnx")
        onnx.checker.check_model(model, full_check=True)
        print("onnx ok: opset %d, %d nodes" % (opset, len(model.graph.node)))


if __name__ == "__main__":
    main()
