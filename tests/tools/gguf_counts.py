#!/usr/bin/env python3
"""Independent oracle for tests: reads a GGUF header with nothing but the spec and prints
{"tensor_count": N, "parameter_count": P, "kv_count": K} as JSON. Shares no code with ROCmForge."""
import json
import struct
import sys

SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals[0]

    def skip_string():
        nonlocal pos
        n = take("Q")
        pos += n

    def skip_value(t):
        nonlocal pos
        if t in SCALAR:
            take(SCALAR[t])
        elif t == 8:
            skip_string()
        elif t == 9:
            et, n = take("I"), take("Q")
            for _ in range(n):
                skip_value(et)
        else:
            raise ValueError(f"bad type {t}")

    assert data[:4] == b"GGUF", "bad magic"
    pos = 4
    take("I")
    n_tensors, n_kv = take("Q"), take("Q")
    for _ in range(n_kv):
        skip_string()
        skip_value(take("I"))
    params = 0
    for _ in range(n_tensors):
        skip_string()
        n_dims = take("I")
        count = 1
        for _ in range(n_dims):
            count *= take("q")
        take("I")
        take("Q")
        params += count
    print(json.dumps({"tensor_count": n_tensors, "parameter_count": params, "kv_count": n_kv}))


if __name__ == "__main__":
    main(sys.argv[1])
