#!/usr/bin/env python3
"""Golden data for ktconv's tests, made by real PyTorch.

Each case runs torch.nn.functional.conv_transpose2d (what nn.ConvTranspose2d calls) and then the
seed model's epilogue, exactly as the model writes it:
    y = conv(x) ; y = y + bias ; y = clamp(y, lo, hi) ; y = y * scale ; y = clamp(y, lo, hi) ; y = y / scale
in float64 on the CPU, and writes one file per case:
    line 1: "ktconv-golden 1" followed by key=value pairs (the parameters)
    then little-endian float64 arrays: x, weight, conv_bias (if bias), epilogue bias (if any), y
Regenerate with:  python3 tests/golden/make_golden.py   (needs torch; not needed by the tests)
"""
import os
import struct
import sys

import torch

OUT = os.path.dirname(os.path.abspath(__file__))

# name, N, Cin, Cout, H, W, k, s, p, op, d, groups, bias, epilogue(lo, hi, scale, epi_bias) or None, special
CASES = [
    # the seed model's configuration (k3 s2 p1 op1), small
    ("seed_small",        2, 8, 8, 5, 6, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True,  (0.0, 1.0, 2.0, True), None),
    ("seed_batch1",       1, 4, 6, 7, 4, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True,  (0.0, 1.0, 2.0, True), None),
    ("plain_stride1",     2, 3, 5, 6, 5, (3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1, True,  None, None),
    ("stride1_pad",       1, 4, 4, 5, 5, (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), 1, False, (0.0, 1.0, 2.0, True), None),
    ("stride3",           2, 3, 4, 4, 5, (3, 3), (3, 3), (0, 0), (2, 1), (1, 1), 1, True,  (0.0, 1.0, 2.0, True), None),
    ("stride3_pad2",      1, 5, 3, 4, 4, (4, 4), (3, 3), (2, 2), (0, 1), (1, 1), 1, True,  None, None),
    ("nonsquare_kernel",  2, 4, 3, 5, 4, (2, 5), (2, 1), (1, 2), (1, 0), (1, 1), 1, True,  (0.0, 1.0, 2.0, True), None),
    ("nonsquare_stride",  1, 3, 6, 4, 7, (3, 2), (1, 3), (0, 1), (0, 2), (1, 1), 1, False, (0.0, 1.0, 2.0, False), None),
    ("nonsquare_image",   2, 2, 3, 3, 9, (3, 3), (2, 2), (0, 1), (1, 0), (1, 1), 1, True,  None, None),
    ("dilation2",         2, 3, 4, 5, 5, (3, 3), (2, 2), (1, 1), (1, 1), (2, 2), 1, True,  (0.0, 1.0, 2.0, True), None),
    ("dilation_mixed",    1, 4, 2, 4, 6, (3, 2), (2, 3), (2, 0), (1, 2), (3, 2), 1, True,  None, None),
    ("dilation_op",       1, 2, 3, 4, 4, (2, 2), (1, 1), (0, 0), (1, 2), (2, 3), 1, True,  None, None),
    ("groups2",           2, 4, 6, 4, 5, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 2, True,  (0.0, 1.0, 2.0, True), None),
    ("groups3_nobias",    1, 6, 3, 5, 4, (2, 3), (2, 1), (0, 1), (0, 0), (1, 2), 3, False, None, None),
    ("depthwise",         2, 4, 4, 5, 5, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 4, True,  (0.0, 1.0, 2.0, True), None),
    ("kernel1",           1, 3, 4, 4, 4, (1, 1), (2, 2), (0, 0), (1, 1), (1, 1), 1, True,  None, None),
    ("stride_gt_kernel",  1, 2, 3, 3, 4, (2, 1), (4, 3), (0, 0), (3, 2), (1, 1), 1, True,  (0.0, 1.0, 2.0, True), None),
    ("bounds_scale3",     2, 4, 4, 4, 4, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True,  (-0.25, 0.75, 3.0, True), None),
    ("bounds_inverted",   1, 2, 3, 3, 3, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True,  (1.0, 0.0, 2.0, True), None),
    ("nan_inf_inputs",    2, 3, 4, 4, 5, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True,  (0.0, 1.0, 2.0, True), "naninf"),
    ("nan_inf_plain",     1, 3, 3, 4, 5, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True,  None, "naninf"),
    ("nan_inf_bias",      1, 2, 5, 3, 3, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True,  (0.0, 1.0, 2.0, True), "naninf_bias"),
]


def write_f64(f, t):
    flat = t.detach().contiguous().reshape(-1).tolist()
    f.write(struct.pack("<%dd" % len(flat), *flat))


def make(case, gen):
    (name, n, cin, cout, h, w, k, s, p, op, d, groups, bias, epi, special) = case
    x = torch.randn(n, cin, h, w, dtype=torch.float64, generator=gen)
    conv = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, groups=groups,
                                    bias=bias, dilation=d, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, dtype=torch.float64, generator=gen) * 0.5)
        if bias:
            conv.bias.copy_(torch.randn(cout, dtype=torch.float64, generator=gen) * 0.5)
    epi_bias = None
    if epi is not None and epi[3]:
        epi_bias = torch.randn(cout, 1, 1, dtype=torch.float64, generator=gen) * 0.5
    if special == "naninf":
        xf = x.view(-1)
        xf[3] = float("nan")
        xf[10] = float("inf")
        xf[25] = float("-inf")
        xf[40] = 1e30  # large but finite in float too: clamps to the bounds
    if special == "naninf_bias":
        epi_bias.view(-1)[1] = float("nan")
        epi_bias.view(-1)[2] = float("inf")
        epi_bias.view(-1)[3] = float("-inf")
    with torch.no_grad():
        y = conv(x)
        if epi is not None:
            lo, hi, scale, _ = epi
            if epi_bias is not None:
                y = y + epi_bias
            y = torch.clamp(y, min=lo, max=hi)
            y = y * scale
            y = torch.clamp(y, min=lo, max=hi)
            y = y / scale
    header = {
        "name": name, "N": n, "Cin": cin, "Cout": cout, "H": h, "W": w,
        "kh": k[0], "kw": k[1], "sh": s[0], "sw": s[1], "ph": p[0], "pw": p[1], "oph": op[0], "opw": op[1],
        "dh": d[0], "dw": d[1], "groups": groups, "bias": int(bias),
        "epilogue": int(epi is not None),
        "lower": repr(epi[0]) if epi else "0", "upper": repr(epi[1]) if epi else "0",
        "scale": repr(epi[2]) if epi else "1", "epi_bias": int(epi_bias is not None),
        "Hout": y.shape[2], "Wout": y.shape[3],
    }
    path = os.path.join(OUT, name + ".golden")
    with open(path, "wb") as f:
        f.write(("ktconv-golden 1 " + " ".join("%s=%s" % kv for kv in header.items()) + "\n").encode())
        write_f64(f, x)
        write_f64(f, conv.weight)
        if bias:
            write_f64(f, conv.bias)
        if epi_bias is not None:
            write_f64(f, epi_bias)
        write_f64(f, y)
    return path


def main():
    gen = torch.Generator().manual_seed(20261124)
    for case in CASES:
        print(make(case, gen))
    print("torch", torch.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
