#!/usr/bin/env python3
"""ktconv beside PyTorch on a suite of real networks' ConvTranspose2d layers, on one GPU.

For every row of the suite and every precision it applies to, on the same inputs:
  * PyTorch eager: ConvTranspose2d + the seed's epilogue (x + bias, clamp, * scale, clamp, / scale)
  * cuDNN's transposed convolution alone (F.conv_transpose2d), heuristic choice and autotuned
    (torch.backends.cudnn.benchmark), the strongest peer for the convolution
  * torch.compile of the whole model (fp32 and TF32; --compile none|seed|all, it costs ~30 s a row)
  * ktconv through ktconv-bench: its automatic choice and each forced algorithm that applies
    (one that does not apply exits with status 3, InvalidArgument, and is listed as "n/a")
Peers are timed with CUDA events (median of --reps after --warmup); ktconv-bench times with
Kokkos::fence (median of --reps). ktconv's output for the first --check-images images is compared
with PyTorch's model in float64 (relative L2) and must pass the precision's tolerance.

Precisions: fp32 (TF32 off everywhere), tf32 (PyTorch allow_tf32, ktconv MathMode::tf32),
tf32x3 (ktconv only, against the fp32 peers), fp64.

  python3 benchmarks/gpu_suite.py --bench build/cuda/benchmarks/ktconv-bench \
      [--rows seed,dcgan1,...] [--precisions fp32,tf32,fp64] [--json out.json]
  python3 benchmarks/gpu_suite.py --bench build/openmp/benchmarks/ktconv-bench --smoke   # CPU dry run

The table's "vs best peer" column is best peer time / ktconv time (above 1: ktconv is faster).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def shape(n, cin, cout, h, w, k, s, p, op=0, d=1, groups=1):
    """One suite row's parameters; k, s, p, op, d are ints or (h, w) pairs, as in PyTorch."""
    pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    return dict(n=n, cin=cin, cout=cout, h=h, w=w, k=pair(k), s=pair(s), p=pair(p), op=pair(op), d=pair(d),
                groups=groups)


# The suite (issue 21): batches chosen to fill an H100; NCHW; PyTorch's parameters.
SUITE = {
    "seed": (shape(128, 64, 64, 128, 128, 3, 2, 1, 1), ["fp32", "tf32", "tf32x3"]),
    "seed_fp64": (shape(32, 64, 64, 128, 128, 3, 2, 1, 1), ["fp64"]),
    "dcgan1": (shape(256, 1024, 512, 4, 4, 4, 2, 1), ["fp32", "tf32"]),
    "dcgan2": (shape(256, 512, 256, 8, 8, 4, 2, 1), ["fp32", "tf32"]),
    "dcgan3": (shape(256, 256, 128, 16, 16, 4, 2, 1), ["fp32", "tf32", "fp64"]),
    "dcgan4": (shape(256, 128, 3, 32, 32, 4, 2, 1), ["fp32", "tf32"]),
    "unet1": (shape(16, 512, 256, 32, 32, 2, 2, 0), ["fp32", "tf32"]),
    "unet2": (shape(16, 128, 64, 128, 128, 2, 2, 0), ["fp32", "tf32"]),
    "stride1": (shape(32, 64, 64, 128, 128, 3, 1, 1), ["fp32", "tf32"]),
    "grouped4": (shape(32, 256, 256, 64, 64, 3, 2, 1, 1, groups=4), ["fp32", "tf32"]),
    "depthwise": (shape(32, 256, 256, 64, 64, 4, 2, 1, groups=256), ["fp32", "tf32"]),
    "dilated": (shape(32, 64, 64, 128, 128, 3, 1, 2, d=2), ["fp32", "tf32"]),
    "nonsquare": (shape(32, 64, 64, 128, 128, (1, 5), (1, 2), (0, 2), (0, 1)), ["fp32", "tf32"]),
}
ALGORITHMS = ["automatic", "gpu_tiled", "gemm", "direct"]
TOLERANCE = {"fp32": 1e-5, "tf32": 3e-3, "tf32x3": 1e-5, "fp64": 1e-12}


class Model(nn.Module):
    """The seed model, as written in PyTorch, for any ConvTranspose2d parameters."""

    def __init__(self, r, scale):
        super().__init__()
        self.conv = nn.ConvTranspose2d(r["cin"], r["cout"], r["k"], stride=r["s"], padding=r["p"],
                                       output_padding=r["op"], dilation=r["d"], groups=r["groups"])
        self.bias = nn.Parameter(torch.randn(r["cout"], 1, 1) * 0.02)
        self.scale = scale

    def forward(self, x):
        x = self.conv(x)
        x = x + self.bias
        x = torch.clamp(x, min=0.0, max=1.0)
        x = x * self.scale
        x = torch.clamp(x, min=0.0, max=1.0)
        return x / self.scale


def timer(dev, warmup, reps):
    def time_cuda(fn):
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(reps):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        return statistics.median(times)

    def time_host(fn):  # --smoke on a CPU: wall clock, only to exercise the script
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    return time_cuda if dev.type == "cuda" else time_host


def set_tf32(on):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def bench_args(r, scale):
    return ["--n", r["n"], "--cin", r["cin"], "--cout", r["cout"], "--h", r["h"], "--w", r["w"], "--kh", r["k"][0],
            "--kw", r["k"][1], "--sh", r["s"][0], "--sw", r["s"][1], "--ph", r["p"][0], "--pw", r["p"][1], "--oph",
            r["op"][0], "--opw", r["op"][1], "--dh", r["d"][0], "--dw", r["d"][1], "--groups", r["groups"], "--scale",
            scale]


def run_ktconv(args, r, d, precision, algorithm, out_file, log):
    math = {"fp32": "ieee", "fp64": "ieee"}.get(precision, precision)
    cmd = [args.bench, "--dtype", "double" if precision == "fp64" else "float", "--input-dir", d, "--math", math,
           "--algorithm", algorithm, "--reps", args.reps, "--warmup", args.warmup, "--save-images",
           args.check_images, "--output", out_file, "--check", 0] + bench_args(r, args.scale)
    cmd = [str(c) for c in cmd]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.bench_timeout)
    except subprocess.TimeoutExpired:
        log.write(f"$ {' '.join(cmd)}\n(timed out after {args.bench_timeout} s)\n")
        return None, "timeout", None
    log.write(f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr[-3000:]}\n")
    m = re.search(r"median ([0-9.]+) ms", p.stdout)
    if not m:
        return None, "n/a" if p.returncode == 3 else "failed", None
    ran = re.search(r" runs=(\w+)", p.stdout)  # the kernel `automatic` picked (ktconv-bench prints it)
    return float(m.group(1)), None, ran.group(1) if ran else None


def run_row(name, r, precisions, args, dev, log):
    measure = timer(dev, args.warmup, args.reps)
    results = []
    torch.manual_seed(0)
    model = Model(r, args.scale).to(dev).eval()
    x = torch.rand(r["n"], r["cin"], r["h"], r["w"], device=dev) * 2 - 1
    k = min(args.check_images, r["n"])
    with torch.no_grad():
        ref64 = model.double()(x[:k].double()).cpu()
        model.float()
    with tempfile.TemporaryDirectory() as d:
        for precision in precisions:
            dtype = torch.float64 if precision == "fp64" else torch.float32
            xm, mm = x.to(dtype), Model(r, args.scale).to(dev)
            mm.load_state_dict(model.state_dict())
            mm = mm.to(dtype).eval()
            ext = ".f64" if dtype == torch.float64 else ".f32"
            for fname, t in (("x", xm), ("w", mm.conv.weight), ("cb", mm.conv.bias), ("bias", mm.bias)):
                t.detach().cpu().numpy().reshape(-1).tofile(os.path.join(d, fname + ext))
            peers = {}
            with torch.no_grad():
                set_tf32(precision == "tf32")
                if precision != "tf32x3":  # 3xTF32 is compared with the fp32 peers
                    peers["eager"] = measure(lambda: mm(xm))
                    conv = lambda: F.conv_transpose2d(xm, mm.conv.weight, mm.conv.bias, stride=r["s"], padding=r["p"],
                                                      output_padding=r["op"], groups=r["groups"], dilation=r["d"])
                    peers["cuDNN"] = measure(conv)
                    torch.backends.cudnn.benchmark = True
                    peers["cuDNN autotuned"] = measure(conv)
                    torch.backends.cudnn.benchmark = False
                    if precision in ("fp32", "tf32") and (args.compile == "all" or
                                                          (args.compile == "seed" and name == "seed")):
                        torch._dynamo.reset()
                        compiled = torch.compile(mm)
                        compiled(xm)
                        peers["torch.compile"] = measure(lambda: compiled(xm))
                set_tf32(False)
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            for algorithm in ALGORITHMS:
                out = os.path.join(d, "y" + ext)
                t, why, ran = run_ktconv(args, r, d, precision, algorithm, out, log)
                entry = {"row": name, "precision": precision, "algorithm": algorithm, "ran": ran, "ktconv_ms": t,
                         "status": why, "peers_ms": peers, "shape": r}
                if t is not None:
                    y = torch.from_numpy(__import__("numpy").fromfile(out, dtype=ext == ".f64" and "float64" or
                                                                      "float32")).reshape(ref64.shape)
                    err = ((y.double() - ref64).norm() / ref64.norm()).item()
                    entry["rel_l2_vs_float64"] = err
                    entry["check"] = "ok" if err <= TOLERANCE[precision] and torch.isfinite(y).all() else "FAILED"
                results.append(entry)
                print(summary_line(entry), flush=True)
    return results


def best_peer(e):
    return min(e["peers_ms"].items(), key=lambda kv: kv[1]) if e["peers_ms"] else (None, None)


def summary_line(e):
    peer, pt = best_peer(e)
    kt = "n/a" if e["ktconv_ms"] is None else f"{e['ktconv_ms']:.3f}"
    ratio = f"{pt / e['ktconv_ms']:.2f}x" if pt and e["ktconv_ms"] else "-"
    peer_s = f"{peer} {pt:.3f}" if peer else "(fp32 peers)"
    algo = e["algorithm"] if e["algorithm"] != "automatic" or not e.get("ran") else f"auto:{e['ran']}"
    return (f"{e['row']:10s} {e['precision']:6s} {algo:14s} ktconv {kt:>9s} ms  best peer {peer_s:26s} "
            f"vs best peer {ratio:>7s}  {e.get('check', e['status'] or '')} "
            f"{'' if 'rel_l2_vs_float64' not in e else '%.1e' % e['rel_l2_vs_float64']}")


def print_table(results):
    """One line per row and precision: the best peer, ktconv's automatic choice and its best algorithm."""
    print("\n| row | precision | best peer (ms) | ktconv automatic (ms) | ratio | fastest ktconv algorithm (ms) |")
    print("| --- | --- | --- | ---: | ---: | --- |")
    keys = dict.fromkeys((e["row"], e["precision"]) for e in results)  # in the order they ran
    for row, precision in keys:
        runs = [e for e in results if e["row"] == row and e["precision"] == precision]
        auto = next((e for e in runs if e["algorithm"] == "automatic"), None)
        timed = [e for e in runs if e["ktconv_ms"] is not None and e["algorithm"] != "automatic"]
        best = min(timed, key=lambda e: e["ktconv_ms"]) if timed else None
        peer, pt = best_peer(runs[0])
        if peer is None:  # tf32x3: against the fp32 peers of the same row
            fp32 = [e for e in results if e["row"] == row and e["precision"] == "fp32"]
            peer, pt = best_peer(fp32[0]) if fp32 else (None, None)
        at = auto["ktconv_ms"] if auto else None
        ran = f" ({auto['ran']})" if auto and auto.get("ran") else ""
        print(f"| {row} | {precision} | {peer or '-'} {pt or 0:.3f} | {at or 0:.3f}{ran} | "
              f"{(pt / at) if pt and at else 0:.2f}x | {best['algorithm'] + ' %.3f' % best['ktconv_ms'] if best else '-'} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--rows", default=",".join(SUITE))
    ap.add_argument("--precisions", default="fp32,tf32,tf32x3,fp64")
    ap.add_argument("--compile", default="seed", choices=["none", "seed", "all"])
    ap.add_argument("--scale", type=float, default=2.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--check-images", type=int, default=2)
    ap.add_argument("--bench-timeout", type=int, default=120)
    ap.add_argument("--smoke", action="store_true", help="batch 1, small images, any device: checks the script")
    ap.add_argument("--json", default="")
    ap.add_argument("--log", default="gpu_suite.log")
    args = ap.parse_args()
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    wanted = set(args.precisions.split(","))
    out = {"device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu", "torch": torch.__version__,
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": []}
    print(f"device: {out['device']}  torch {out['torch']}  {out['date']}", flush=True)
    with open(args.log, "w") as log:
        for name in args.rows.split(","):
            r, precisions = SUITE[name]
            r = dict(r)
            if args.smoke:
                r.update(n=1, h=min(r["h"], 8), w=min(r["w"], 8))
                args.reps, args.warmup = 2, 1
            todo = [p for p in precisions if p in wanted]
            if todo:
                out["results"] += run_row(name, r, todo, args, dev, log)
    print_table(out["results"])
    failed = [e for e in out["results"] if e.get("check") == "FAILED" or e["status"] in ("failed", "timeout")]
    print(f"{len(out['results'])} ktconv runs, {len(failed)} failed checks or runs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
