#!/usr/bin/env python3
"""ktconv vs PyTorch on one GPU, same inputs, one script run.

Measures, on the seed workload (or --batch etc.):
  * PyTorch eager: ConvTranspose2d + (x + bias, clamp, * scale, clamp, / scale)
  * torch.compile of the same model
  * cuDNN's transposed convolution alone (F.conv_transpose2d), with cuDNN's heuristic choice of
    algorithm (PyTorch's default) and autotuned (torch.backends.cudnn.benchmark)
each in fp32 (TF32 off) and with TF32 allowed, timed with CUDA events (median of --reps after
--warmup), and ktconv through its benchmark binary (ktconv-bench, which times with
Kokkos::fence, median of --reps) on the very same inputs, written to raw float32 files.
ktconv's output for the first images is checked against PyTorch's fp32 output and a float64
reference. Prints a table; writes --json.

  python3 benchmarks/compare_gpu.py --bench build/cuda/benchmarks/ktconv-bench [--batch 128]
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
import torch.nn.functional as F

from gpu_suite import Model, shape  # the seed model, as written in PyTorch, for any parameters


def time_cuda(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times), min(times), max(times)


def set_tf32(on):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def run_bench(bench, args, d, math, out_file):
    cmd = [bench, "--n", str(args.batch), "--cin", str(args.cin), "--cout", str(args.cout), "--h", str(args.h),
           "--w", str(args.w), "--k", str(args.k), "--s", str(args.s), "--p", str(args.p), "--op", str(args.op),
           "--scale", str(args.scale), "--input-dir", d, "--math", math, "--reps", str(args.reps),
           "--warmup", str(args.warmup), "--save-images", str(args.check_images), "--output", out_file,
           "--check", "500"]
    if args.algorithm:
        cmd += ["--algorithm", args.algorithm]
    r = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr[-2000:])
    m = re.search(r"median ([0-9.]+) ms\s+\(min ([0-9.]+), p10 [0-9.]+, p90 [0-9.]+, max ([0-9.]+)", r.stdout)
    if not m:
        return None
    return float(m.group(1)), float(m.group(2)), float(m.group(3)), r.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--cin", type=int, default=64)
    ap.add_argument("--cout", type=int, default=64)
    ap.add_argument("--h", type=int, default=128)
    ap.add_argument("--w", type=int, default=128)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--s", type=int, default=2)
    ap.add_argument("--p", type=int, default=1)
    ap.add_argument("--op", type=int, default=1)
    ap.add_argument("--scale", type=float, default=2.0)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--check-images", type=int, default=2)
    ap.add_argument("--ktconv-math", default="ieee,tf32,tf32x3")
    ap.add_argument("--algorithm", default="")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    torch.manual_seed(0)
    dev = torch.device("cuda")
    model = Model(shape(args.batch, args.cin, args.cout, args.h, args.w, args.k, args.s, args.p, args.op),
                  args.scale).to(dev).eval()
    x = torch.rand(args.batch, args.cin, args.h, args.w, device=dev) * 2 - 1
    results = {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "shape": vars(args), "rows": []}

    def row(name, t):
        results["rows"].append({"name": name, "median_ms": t[0], "min_ms": t[1], "max_ms": t[2]})

    with torch.no_grad():
        for tf32 in (False, True):
            set_tf32(tf32)
            tag = "tf32" if tf32 else "fp32"
            row(f"PyTorch eager ({tag})", time_cuda(lambda: model(x), args.warmup, args.reps))
            conv_alone = lambda: F.conv_transpose2d(x, model.conv.weight, model.conv.bias, stride=args.s,
                                                    padding=args.p, output_padding=args.op)
            row(f"cuDNN conv_transpose2d alone ({tag})", time_cuda(conv_alone, args.warmup, args.reps))
            # cuDNN at its best: with cudnn.benchmark it times its algorithms on the first call
            # (a warm-up call) and keeps the fastest, instead of its heuristic's choice.
            torch.backends.cudnn.benchmark = True
            row(f"cuDNN conv_transpose2d autotuned ({tag})", time_cuda(conv_alone, args.warmup, args.reps))
            torch.backends.cudnn.benchmark = False
            if not args.no_compile:
                torch._dynamo.reset()
                compiled = torch.compile(model)
                compiled(x)
                row(f"torch.compile ({tag})", time_cuda(lambda: compiled(x), args.warmup, args.reps))
        set_tf32(False)
        k = args.check_images
        y_ref32 = model(x[:k]).float()
        y_ref64 = model.double()(x[:k].double())
        model.float()

    with tempfile.TemporaryDirectory() as d:
        x.detach().cpu().numpy().tofile(os.path.join(d, "x.f32"))
        model.conv.weight.detach().cpu().numpy().tofile(os.path.join(d, "w.f32"))
        model.conv.bias.detach().cpu().numpy().tofile(os.path.join(d, "cb.f32"))
        model.bias.detach().cpu().numpy().reshape(-1).tofile(os.path.join(d, "bias.f32"))
        del x
        torch.cuda.empty_cache()
        for math in args.ktconv_math.split(","):
            out = os.path.join(d, f"y_{math}.f32")
            t = run_bench(args.bench, args, d, math, out)
            if t is None:
                print(f"ktconv ({math}) did not report a time", file=sys.stderr)
                continue
            row(f"ktconv ({math})", t[:3])
            import numpy as np
            y = torch.from_numpy(np.fromfile(out, dtype=np.float32)).reshape(y_ref32.shape)
            e64 = ((y.double() - y_ref64.cpu()).norm() / y_ref64.cpu().norm()).item()
            e32 = ((y.double() - y_ref32.cpu().double()).norm() / y_ref32.cpu().double().norm()).item()
            nonfinite = int((~torch.isfinite(y)).sum())
            results["rows"][-1].update({"rel_l2_vs_float64": e64, "rel_l2_vs_torch_fp32": e32,
                                        "non_finite": nonfinite, "bench_exit": t[3]})

    print()
    print(f"device: {results['device']}  torch {results['torch']}  {results['date']}")
    print(f"shape: x({args.batch},{args.cin},{args.h},{args.w}) k{args.k} s{args.s} p{args.p} op{args.op}")
    kt = {r["name"]: r["median_ms"] for r in results["rows"] if r["name"].startswith("ktconv")}
    print(f"{'implementation':42s} {'median ms':>10s} {'min':>8s} {'max':>8s}  " +
          "  ".join(f"{'x ' + n:>16s}" for n in kt))
    for r in results["rows"]:
        ratios = "  ".join(f"{r['median_ms'] / v:16.2f}" for v in kt.values())
        extra = ""
        if "rel_l2_vs_float64" in r:
            extra = f"  relL2 vs f64 {r['rel_l2_vs_float64']:.2e}, vs torch fp32 {r['rel_l2_vs_torch_fp32']:.2e}"
        print(f"{r['name']:42s} {r['median_ms']:10.3f} {r['min_ms']:8.3f} {r['max_ms']:8.3f}  {ratios}{extra}")
    print("(ratio columns: that row's time / ktconv's time, i.e. ktconv's speed-up over the row)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
