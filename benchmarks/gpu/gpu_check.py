#!/usr/bin/env python3
"""crossalign GPU check, PyTorch leg: the bundled models' convs (or the generated PyTorch port, when the bundle has
one) run by this machine's own PyTorch under each profile of cuda-config/, against the TFLite reference the bundle
carries.

For each model folder of the bundle (models/NAME: manifest.json, inputs.npz, reference.npz, weights.npz):
  - when models/NAME/model.py and models/NAME/weights.pth exist (the output of `crossalign convert --to pytorch`):
      the generated port. Interface: module model.py defines class Model(torch.nn.Module);
      Model().load_state_dict(torch.load('weights.pth')); forward(*inputs, capture=True) with the model's inputs in
      TFLite order and layout (NHWC float32) returns (outputs, Dict[str, Tensor]) keyed by TFLite tensor name, in
      TFLite's shapes (NCHW captures of 4-D tensors are permuted back to NHWC before comparing).
  - otherwise: the per-op reference of every conv: TF's SAME padding made explicit with F.pad (the extra pixel at the
    end) and F.conv2d on NCHW, bias and fused activation, fed TFLite's own input activation of that conv.
Per profile and model: per-tensor max_abs / rel_l2 against TFLite (float64 accumulation), whether REPEAT runs are
bitwise identical, median time; across profiles: which tensors differ bitwise.

No numpy needed: the .npz files are read with zipfile + torch.frombuffer. Standard library + torch only.
Usage: gpu_check.py --bundle DIR --json FILE [--device cuda|cpu] [--repeat N]
Exit: 0 ran, 2 could not run (one line on stderr; the JSON still says why).
"""
import argparse
import ast
import hashlib
import importlib.util
import json
import os
import platform
import statistics
import struct
import sys
import time
import traceback
import zipfile

# cuBLAS reads its workspace config when its handle is created (first CUDA matmul); the deterministic profile needs
# it, the others do not care, so it is set once before torch touches CUDA.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

DTYPES = {"<f4": "float32", "<f8": "float64", "<f2": "float16", "<i4": "int32", "<i8": "int64", "|u1": "uint8",
          "|i1": "int8", "<i2": "int16", "|b1": "bool"}
PROFILE_ORDER = ["deterministic", "tf32-default", "fast"]
DEFAULT_THREADS = [1]  # torch's own default, read at start-up: a profile's intra_op_threads=0 restores it


def one_line(e):
    s = (str(e) or e.__class__.__name__).strip().splitlines()
    return e.__class__.__name__ + ": " + (s[0] if s else "")


def finite(v):
    """NaN and infinities as the strings Jackson writes for them, so that the JSON is standard."""
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [finite(x) for x in v]
    return v


def read_npz(path, torch):
    """name -> CPU tensor, for the little-endian C-order arrays crossalign writes (and np.savez writes)."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.endswith(".npy"):
                continue
            data = z.read(info)
            if data[:6] != b"\x93NUMPY":
                raise ValueError("%s!%s: not a .npy entry" % (path, info.filename))
            major = data[6]
            if major == 1:
                hlen = struct.unpack("<H", data[8:10])[0]
                start = 10
            else:
                hlen = struct.unpack("<I", data[8:12])[0]
                start = 12
            header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
            if header.get("fortran_order"):
                raise ValueError("%s!%s: Fortran order is not supported" % (path, info.filename))
            descr = header["descr"]
            if descr not in DTYPES:
                raise ValueError("%s!%s: dtype %s is not supported" % (path, info.filename, descr))
            dtype = getattr(torch, DTYPES[descr])
            shape = tuple(header["shape"])
            body = bytearray(data[start + hlen:])
            n = 1
            for d in shape:
                n *= d
            t = torch.frombuffer(body, dtype=dtype, count=n) if n > 0 else torch.empty(0, dtype=dtype)
            out[info.filename[:-4]] = t.reshape(shape)
    return out


def read_profiles(folder):
    profiles = {}
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".properties"):
            continue
        p = {}
        with open(os.path.join(folder, f)) as fh:
            for line in fh:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                k, v = line.split("=", 1)
                p[k.strip()] = v.strip()
        profiles[f[:-len(".properties")]] = p
    order = [n for n in PROFILE_ORDER if n in profiles] + sorted(n for n in profiles if n not in PROFILE_ORDER)
    return [(n, profiles[n]) for n in order]


def flag(p, key, default=False):
    v = p.get(key)
    return default if v is None or v == "" else v.lower() == "true"


def apply_profile(torch, p, device):
    """Sets PyTorch's determinism switches from one cuda-config profile; returns them as read back."""
    seed = int(p.get("seed", "0") or 0)
    torch.manual_seed(seed)
    if device == "cuda":
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = flag(p, "cudnn_deterministic")
    torch.backends.cudnn.benchmark = flag(p, "cudnn_benchmark")
    torch.backends.cudnn.allow_tf32 = flag(p, "allow_tf32_cudnn")
    torch.backends.cuda.matmul.allow_tf32 = flag(p, "allow_tf32_cublas")
    torch.use_deterministic_algorithms(flag(p, "deterministic_algorithms"),
                                       warn_only=flag(p, "deterministic_warn_only"))
    threads = int(p.get("intra_op_threads", "0") or 0)
    torch.set_num_threads(threads if threads > 0 else DEFAULT_THREADS[0])
    return {
        "seed": seed,
        "cudnn.deterministic": torch.backends.cudnn.deterministic,
        "cudnn.benchmark": torch.backends.cudnn.benchmark,
        "cudnn.allow_tf32": torch.backends.cudnn.allow_tf32,
        "cuda.matmul.allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "use_deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "intra_op_threads": torch.get_num_threads(),
        "CUBLAS_WORKSPACE_CONFIG": os.environ.get("CUBLAS_WORKSPACE_CONFIG", ""),
    }


def errors(torch, ref, got):
    a = ref.double()
    b = got.detach().to("cpu").double()
    if a.shape != b.shape:
        if a.dim() == 4 and b.dim() == 4 and b.permute(0, 2, 3, 1).shape == a.shape:
            b = b.permute(0, 2, 3, 1)
        else:
            return None, None, "shape %s vs reference %s" % (list(b.shape), list(a.shape))
    d = a - b
    if torch.isnan(d).any():
        both = torch.isnan(a) & torch.isnan(b)
        if (torch.isnan(d) & ~both).any():
            return float("nan"), float("nan"), None
        d = torch.where(both, torch.zeros_like(d), d)
    max_abs = float(d.abs().max()) if d.numel() else 0.0
    rel = float(d.norm() / max(float(a.norm()), 1e-30)) if d.numel() else 0.0
    return max_abs, rel, None


def bits(torch, t):
    t = t.detach().to("cpu").contiguous()
    if t.dtype == torch.float32:
        return t.view(torch.int32)
    return t


class PerOpReference:
    """The bundle's convs, each fed TFLite's input activation: TF SAME padding made explicit, then F.conv2d."""
    path = "per-op-reference"

    def __init__(self, torch, manifest, ref, weights, device):
        self.torch = torch
        self.F = torch.nn.functional
        self.device = device
        self.convs = []
        for c in manifest["convs"]:
            x = ref[c["input"]].permute(0, 3, 1, 2).contiguous().to(device)
            w = weights[c["filter"]]
            if c["kind"] == "CONV":
                w = w.permute(0, 3, 1, 2).contiguous()  # [O, kh, kw, I] -> [O, I, kh, kw]
                groups = 1
            else:
                w = w.permute(3, 0, 1, 2).contiguous()  # [1, kh, kw, C*m] -> [C*m, 1, kh, kw]
                groups = c["inC"]
            b = weights[c["bias"]].to(device) if c.get("bias") else None
            self.convs.append((c, x, w.to(device), b, groups))

    def run(self):
        F = self.F
        out = {}
        for c, x, w, b, groups in self.convs:
            xp = F.pad(x, (c["padLeft"], c["padRight"], c["padTop"], c["padBottom"]))
            y = F.conv2d(xp, w, b, stride=(c["strideH"], c["strideW"]), padding=0,
                         dilation=(c["dilationH"], c["dilationW"]), groups=groups)
            act = c["activation"]
            if act == "RELU":
                y = F.relu(y)
            elif act == "RELU6":
                y = self.torch.clamp(y, 0.0, 6.0)
            elif act == "RELU_N1_TO_1":
                y = self.torch.clamp(y, -1.0, 1.0)
            elif act == "TANH":
                y = self.torch.tanh(y)
            elif act != "NONE":
                raise ValueError("fused activation %s" % act)
            out[c["output"]] = y.permute(0, 2, 3, 1)
        return out


class GeneratedPort:
    """models/NAME/model.py + weights.pth: the generated nn.Module, run whole with capture=True."""
    path = "generated-port"

    def __init__(self, torch, folder, manifest, inputs, device):
        spec = importlib.util.spec_from_file_location("crossalign_port_" + manifest["name"].replace("-", "_"),
                                                      os.path.join(folder, "model.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        self.model = mod.Model()
        state = torch.load(os.path.join(folder, "weights.pth"), map_location="cpu")
        self.model.load_state_dict(state)
        self.model.to(device).eval()
        self.inputs = [inputs[n].to(device) for n in manifest["inputs"]]
        self.torch = torch

    def run(self):
        with self.torch.no_grad():
            result = self.model(*self.inputs, capture=True)
        if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
            raise TypeError("forward(..., capture=True) must return (outputs, Dict[str, Tensor])")
        return dict(result[1])


def sync(torch, device):
    if device == "cuda":
        torch.cuda.synchronize()


def run_model(torch, runner, ref, repeat, device):
    with torch.no_grad():
        runner.run()  # warm-up: cuDNN benchmark mode tries its algorithms here
        sync(torch, device)
        times = []
        first = None
        differs = set()
        for _ in range(repeat):
            t0 = time.perf_counter()
            got = runner.run()
            sync(torch, device)
            times.append((time.perf_counter() - t0) * 1e3)
            got = {k: v.detach().to("cpu") for k, v in got.items()}
            if first is None:
                first = got
            else:
                for k, v in got.items():
                    if k in first and not torch.equal(bits(torch, v), bits(torch, first[k])):
                        differs.add(k)
    per_tensor = []
    worst = (0.0, 0.0, None)
    skipped = []
    for name in sorted(first):
        if name not in ref:
            skipped.append(name)
            continue
        m, r, why = errors(torch, ref[name], first[name])
        if why is not None:
            per_tensor.append({"name": name, "error": why})
            continue
        per_tensor.append({"name": name, "max_abs": m, "rel_l2": r, "repeatable": name not in differs})
        if worst[1] == worst[1] and (r != r or r > worst[1]):  # a NaN, once seen, stays the worst
            worst = (m, r, name)
    digest = {}
    for name in sorted(first):
        digest[name] = hashlib.sha256(bits(torch, first[name]).numpy().tobytes()).hexdigest()
    return {
        "tensors": len(per_tensor),
        "not_in_reference": len(skipped),
        "worst_max_abs": worst[0],
        "worst_rel_l2": worst[1],
        "worst_tensor": worst[2],
        "repeat": repeat,
        "bitwise_repeatable": not differs,
        "non_repeatable": sorted(differs),
        "median_ms": statistics.median(times),
        "per_tensor": per_tensor,
    }, digest


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profiles", help="folder of *.properties (default: BUNDLE/cuda-config)")
    a = ap.parse_args(argv)
    report = {"leg": "torch", "status": "ran", "reason": None, "device": a.device, "python": platform.python_version(),
              "notes": []}

    def finish(code, line=None):
        if line:
            report["status"] = "unavailable"
            report["reason"] = line
            print("torch: unavailable: " + line, file=sys.stderr)
        tmp = a.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(finite(report), fh, indent=2, allow_nan=False)
        os.replace(tmp, a.json)
        return code

    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure is the one line to report
        return finish(2, "cannot import torch in %s: %s" % (sys.executable, one_line(e)))
    DEFAULT_THREADS[0] = torch.get_num_threads()
    report.update({"torch": torch.__version__, "torch_cuda": torch.version.cuda,
                   "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None})
    if a.device == "cuda":
        if not torch.cuda.is_available():
            return finish(2, "torch %s sees no CUDA device (torch.version.cuda=%s); rerun with --device cpu for the "
                             "CPU path" % (torch.__version__, torch.version.cuda))
        report["gpu"] = torch.cuda.get_device_name(0)
        report["capability"] = "%d.%d" % torch.cuda.get_device_capability(0)
    folder = a.profiles or os.path.join(a.bundle, "cuda-config")
    try:
        profiles = read_profiles(folder)
    except OSError as e:
        return finish(2, "cannot read the profiles in %s: %s" % (folder, one_line(e)))
    if not profiles:
        return finish(2, "no *.properties profile in " + folder)
    models_dir = os.path.join(a.bundle, "models")
    try:
        names = sorted(n for n in os.listdir(models_dir) if os.path.isfile(os.path.join(models_dir, n, "manifest.json")))
    except OSError as e:
        return finish(2, "not a GPU bundle: %s" % one_line(e))
    data = {}
    paths = set()
    for name in names:
        d = os.path.join(models_dir, name)
        with open(os.path.join(d, "manifest.json")) as fh:
            manifest = json.load(fh)
        ref = read_npz(os.path.join(d, "reference.npz"), torch)
        runner = None
        if os.path.isfile(os.path.join(d, "model.py")) and os.path.isfile(os.path.join(d, "weights.pth")):
            try:
                runner = GeneratedPort(torch, d, manifest, read_npz(os.path.join(d, "inputs.npz"), torch), a.device)
            except Exception as e:  # noqa: BLE001 - a broken port is reported, then the per-op reference runs
                report["notes"].append("%s: generated port not usable (%s); per-op reference instead"
                                       % (name, one_line(e)))
        else:
            report["notes"].append("%s: no model.py + weights.pth in the bundle (no `crossalign convert --to pytorch` "
                                   "output yet); per-op reference of the convs instead" % name)
        if runner is None:
            runner = PerOpReference(torch, manifest, ref, read_npz(os.path.join(d, "weights.npz"), torch), a.device)
        paths.add(runner.path)
        data[name] = (runner, ref)
    report["path"] = ", ".join(sorted(paths))
    report["profiles"] = []
    digests = {}
    for pname, p in profiles:
        try:
            applied = apply_profile(torch, p, a.device)
        except Exception as e:  # noqa: BLE001
            report["profiles"].append({"profile": pname, "error": one_line(e), "models": []})
            continue
        entry = {"profile": pname, "settings": applied, "models": []}
        for name, (runner, ref) in data.items():
            try:
                res, dig = run_model(torch, runner, ref, a.repeat, a.device)
                res = dict(model=name, path=runner.path, **res)
                digests[(pname, name)] = dig
            except Exception as e:  # noqa: BLE001 - e.g. a deterministic-algorithms refusal: say it, go on
                res = {"model": name, "path": runner.path, "error": one_line(e)}
                traceback.print_exc(limit=2, file=sys.stderr)
            entry["models"].append(res)
            if "error" in res:
                print("torch: %s %s: %s" % (pname, name, res["error"]))
            else:
                print("torch: %s %s (%s): %d tensors, worst rel_l2 %.3g max_abs %.3g (%s), %s over %d runs, "
                      "median %.3f ms" % (pname, name, runner.path, res["tensors"], res["worst_rel_l2"],
                                          res["worst_max_abs"], res["worst_tensor"],
                                          "bitwise repeatable" if res["bitwise_repeatable"] else "NOT repeatable",
                                          a.repeat, res["median_ms"]))
        report["profiles"].append(entry)
    cross = []
    pnames = [p for p, _ in profiles]
    for name in data:
        for i, pa in enumerate(pnames):
            for pb in pnames[i + 1:]:
                da, db = digests.get((pa, name)), digests.get((pb, name))
                if da is None or db is None:
                    continue
                diff = sorted(k for k in da if db.get(k) != da[k])
                cross.append({"model": name, "a": pa, "b": pb, "bitwise_equal": not diff,
                              "differing_tensors": len(diff), "of": len(da)})
                print("torch: %s: %s vs %s: %s" % (name, pa, pb, "bitwise equal" if not diff else
                                                   "%d of %d tensors differ" % (len(diff), len(da))))
    report["cross_profile"] = cross
    ran = [m for p in report["profiles"] for m in p["models"] if "error" not in m]
    failed = sum(1 for p in report["profiles"] for m in p["models"] if "error" in m)
    worst = max((m["worst_rel_l2"] for m in ran), default=float("nan"))
    print("torch: %d profile x model runs on %s (%s), %d failed; worst rel_l2 vs TFLite %.3g; bitwise repeatable: %s;"
          " profiles bitwise equal: %d of %d pairs" % (len(ran), a.device, report["path"], failed, worst,
                                                       "all" if all(m["bitwise_repeatable"] for m in ran) else "NOT all",
                                                       sum(1 for x in cross if x["bitwise_equal"]), len(cross)))
    return finish(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
