"""Generates the .npy/.npz fixtures and expected.json under src/test/resources/npy (numpy 2.x)."""
import json, os, sys
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def desc(a):
    return {"descr": a.dtype.str, "shape": list(a.shape),
            "values": a.ravel(order="C").tolist(),
            "sum": float(a.astype(np.float64).sum())}

arrays = {
    "f4.npy": (np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.1) - np.float32(1)),
    "f2.npy": np.array([[0.1, -2.5, 65504.0], [2.0**-24, 0.0, -1.0 / 3]], dtype=np.float16),
    "f8.npy": np.array([np.pi, -np.e, 1e300], dtype=np.float64),
    "i1.npy": np.array([[-128, -1], [0, 127]], dtype=np.int8),
    "u1.npy": np.array([0, 1, 128, 255], dtype=np.uint8),
    "i2.npy": np.array([-32768, 32767, 5], dtype=np.int16),
    "i4.npy": np.array([[-2**31], [2**31 - 1], [7]], dtype=np.int32),
    "i8.npy": np.array([-2**63, 2**63 - 1, 42], dtype=np.int64),
    "b1.npy": np.array([True, False, True], dtype=np.bool_),
    "fortran_f4.npy": np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5),
    "fortran_i2.npy": np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3) * -3),
    "big_f4.npy": (np.arange(6, dtype=">f4").reshape(2, 3) * np.float32(1.5) - 2).astype(">f4"),
    "big_i8.npy": np.array([-2**40 - 3, 1, 2**62 + 5], dtype=">i8"),
    "big_f2.npy": np.array([1.5, -0.099975586, 1000.0], dtype=">f2"),
    "big_fortran_f8.npy": np.asfortranarray((np.arange(6).reshape(3, 2) / 7).astype(">f8")),
    "scalar.npy": np.array(3.25, dtype=np.float32),
    "empty.npy": np.zeros((0, 3), dtype=np.float32),
}
expected = {}
for name, a in arrays.items():
    np.save(os.path.join(out, name), a)
    d = desc(a)
    d["fortran_order"] = bool(a.flags.f_contiguous and not a.flags.c_contiguous)
    expected[name] = d

# header versions 2.0 and 3.0
v = np.arange(12, dtype=np.int32).reshape(3, 4) - 6
for ver, name in (((2, 0), "v2_i4.npy"), ((3, 0), "v3_i4.npy")):
    with open(os.path.join(out, name), "wb") as f:
        np.lib.format.write_array(f, v, version=ver)
    expected[name] = desc(v)

a = np.linspace(-1, 1, 10, dtype=np.float32).reshape(2, 5)
b = np.array([1, 2, 3], dtype=np.int64)
np.savez(os.path.join(out, "pair.npz"), a=a, b=b)
c = (np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3) / 10).astype(np.float32)
d = np.array([[True, False]], dtype=np.bool_)
np.savez_compressed(os.path.join(out, "compressed.npz"), **{"layer/conv": c, "mask": d})
expected["pair.npz"] = {"a": desc(a), "b": desc(b)}
expected["compressed.npz"] = {"layer/conv": desc(c), "mask": desc(d)}

# re-read everything with numpy as a self-check of the expectations
for name, e in expected.items():
    if name.endswith(".npy"):
        r = np.load(os.path.join(out, name))
        assert list(r.shape) == e["shape"], name
        assert r.ravel(order="C").tolist() == e["values"], name
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
print("numpy", np.__version__, "wrote", len(expected), "fixtures")
