#!/usr/bin/env python3
"""Writes tests/fuzz/regressions/*.bin: fuzz inputs for known cases, in FuzzCase.hpp's format
(every integer as a verbatim selector: 0xff then little-endian bytes). Run from anywhere; the
libFuzzer run adds its own findings to the same folder (named by their hash)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ALGORITHMS = {"automatic": 0, "direct": 1, "host_rows": 2, "gpu_tiled": 3}
REALS = [0, 1, -1, 0.5, 2, 3, -2, 1000, 0.25, "nan", "inf", "-inf"]


def i32(v):
    return b"\xff" + struct.pack("<i", v)


def i64(v):
    return b"\xff" + struct.pack("<q", v)


def case(*, double=False, epilogue=False, epilogue_bias=False, bias=True, serial=False, algorithm="automatic",
         math=0, cin, cout, groups=1, kernel, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
         dilation=(1, 1), n, h, w, lower=0, upper=1, scale=1, seed=1):
    f0 = double | epilogue << 1 | epilogue_bias << 2 | bias << 3 | serial << 6
    out = bytes([f0, 0, ALGORITHMS[algorithm], math])
    out += i32(cin) + i32(cout) + i32(groups)
    for pair in (kernel, stride, padding, output_padding, dilation):
        out += i32(pair[0]) + i32(pair[1])
    out += i64(n) + i64(h) + i64(w)
    out += bytes([REALS.index(lower), REALS.index(upper), REALS.index(scale)])
    return out + struct.pack("<I", seed)


ISSUE17_CRASH = dict(cin=5, cout=5, groups=5, kernel=(1, 1), stride=(2, 1 << 30), padding=(2, 0),
                     output_padding=(4, 0), dilation=(1 << 30, 2), n=2, h=4, w=1)
ISSUE17_MODULE = dict(cin=1, cout=2, kernel=(3, 3), stride=(3, 2), padding=(1, 2), n=1, h=3, w=3)
CASES = {
    "issue17-huge-stride-dilation-automatic": dict(ISSUE17_CRASH),
    "issue17-huge-stride-dilation-direct": dict(ISSUE17_CRASH, algorithm="direct"),
    "issue17-huge-stride-dilation-host-rows": dict(ISSUE17_CRASH, algorithm="host_rows"),
    "issue17-huge-stride-dilation-double-epilogue": dict(ISSUE17_CRASH, double=True, epilogue=True,
                                                          epilogue_bias=True, scale=2),
    "issue17-module-params-3x3": dict(ISSUE17_MODULE, epilogue=True, epilogue_bias=True),
    "issue17-module-params-1x1-rejected": dict(ISSUE17_MODULE, h=1, w=1),
    "padding-cancels-dilation": dict(cin=1, cout=1, kernel=(1, 2), dilation=(1, 1 << 30), padding=(0, 1 << 29),
                                     n=1, h=1, w=1),
    "int-max-padding": dict(cin=1, cout=1, kernel=(5, 1), dilation=(1 << 29, 1), padding=(2147483647, 0),
                            n=1, h=1, w=1),
}

if __name__ == "__main__":
    folder = os.path.join(HERE, "regressions")
    os.makedirs(folder, exist_ok=True)
    for name, args in CASES.items():
        with open(os.path.join(folder, name + ".bin"), "wb") as f:
            f.write(case(**args))
    print(f"wrote {len(CASES)} inputs to {folder}")
