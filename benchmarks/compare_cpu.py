#!/usr/bin/env python3
"""ktconv's host (OpenMP) path against PyTorch CPU, side by side, on the same inputs.

For each shape: generates x, weight, conv bias and epilogue bias with torch (seeded), writes them
as raw float32 for `ktconv-bench --input-dir`, then times, at the same number of threads T:
  * PyTorch's whole model: conv_transpose2d + the five element-wise ops
    (y + bias -> clamp(0, 1) -> * scale -> clamp(0, 1) -> / scale),
  * PyTorch's conv_transpose2d alone,
  * both again with channels_last (NHWC) tensors: PyTorch then runs oneDNN's deconvolution,
    its fastest CPU path for this; the table compares ktconv with the faster configuration,
  * ktconv-bench (OMP_NUM_THREADS=T, OMP_PROC_BIND=spread, OMP_PLACES=threads), fused,
each as the median of --reps runs after --warmup, over --rounds interleaved rounds (the median
of the rounds' medians is reported: the machine may be shared). ktconv-bench saves its first
image, which must agree with PyTorch's model output (relative L2 < 1e-5).

Needs torch and numpy, so it is not part of CI. Example:
  python3 benchmarks/compare_cpu.py --bench /tmp/build-cpu/benchmarks/ktconv-bench --threads 2
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

SHAPES = {
    # name: (n, cin, cout, h, w, k, s, p, op, d, groups)
    "seed-b4": (4, 64, 64, 128, 128, 3, 2, 1, 1, 1, 1),
    "seed-b16": (16, 64, 64, 128, 128, 3, 2, 1, 1, 1, 1),
    "s1-b4": (4, 64, 64, 128, 128, 3, 1, 1, 0, 1, 1),
    "g4d2-b4": (4, 64, 64, 128, 128, 3, 2, 2, 1, 2, 4),
}
SCALE = 2.0  # ktconv-bench's default --scale


def machine_info():
    """The CPU's name, cores and vector extensions (lscpu)."""
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    field = lambda name: (re.search(r"^" + re.escape(name) + r":\s*(.+)$", lscpu, re.M) or [None, None])[1]
    flags = (field("Flags") or "").split()
    return dict(model=(field("Model name") or "?").strip(), cores=int(field("Core(s) per socket") or 1) *
                int(field("Socket(s)") or 1), family=field("CPU family"), cpu_model=field("Model"),
                avx2="avx2" in flags, avx512="avx512f" in flags)


# 12 independent FMA chains in registers, timed by thread CPU time (so a shared machine distorts
# it little). A VM's /proc/cpuinfo shows the nominal (TSC) clock; this shows what a core sustains.
FMA_PROBE = r"""
#include <immintrin.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if LANES == 16
typedef __m512 V;
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#else
typedef __m256 V;
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#endif
int main(void) {
  struct timespec a, b;
  long n = 100000000L;
  V acc[12];
  for (int i = 0; i < 12; i++) acc[i] = SET1(i * 0.1f);
  V x = SET1(0.999999f), y = SET1(1e-7f);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  for (long i = 0; i < n; i++) {
    __asm__ volatile("" : "+v"(x));
    for (int k = 0; k < 12; k++) acc[k] = FMA(acc[k], x, y);
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  double t = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
  float s = 0, lane[16];
  for (int i = 0; i < 12; i++) { memcpy(lane, &acc[i], sizeof(float)); s += lane[0]; }
  printf("%f %g\n", n * 12.0 * LANES * 2.0 / t / 1e9, s);
  return 0;
}
"""


def measured_fma_peak(directory, lanes, copies):
    """FP32 FMA GFLOP/s of `copies` probes run at once (one per core the benchmark uses), with
    vectors of `lanes` floats (8: AVX2, 16: AVX-512), best of 3; None without a compiler."""
    src, exe = os.path.join(directory, "fma.c"), os.path.join(directory, "fma")
    with open(src, "w") as f:
        f.write(FMA_PROBE)
    flags = ["-mavx512f"] if lanes == 16 else ["-mavx2", "-mfma"]
    for cc in ("cc", "gcc", "clang"):
        try:
            if subprocess.run([cc, "-O3", *flags, f"-DLANES={lanes}", src, "-o", exe],
                              capture_output=True).returncode != 0:
                continue
            best = 0.0
            for _ in range(3):
                procs = [subprocess.Popen([exe], stdout=subprocess.PIPE, text=True) for _ in range(copies)]
                best = max(best, sum(float(p.communicate()[0].split()[0]) for p in procs))
            return best
        except (OSError, ValueError, IndexError):
            pass
    return None


def kernel_lanes(bench):
    """The vector width host_rows uses (ktconv-bench prints Kokkos SIMD's native width)."""
    r = subprocess.run([bench, "--n", "1", "--cin", "8", "--cout", "8", "--h", "8", "--w", "8", "--reps", "1",
                        "--warmup", "0", "--algorithm", "host_rows"], capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    m = re.search(r"vector (\d+) lanes of (\d+) bits", r.stdout)
    if not m:
        sys.exit(f"ktconv-bench did not report its vector width:\n{r.stdout}\n{r.stderr}")
    return int(m.group(1)), int(m.group(2))


def make_inputs(shape, seed, directory):
    n, cin, cout, h, w, k, s, p, op, d, groups = shape
    g = torch.Generator().manual_seed(seed)
    u = lambda size, lo, hi: torch.rand(size, generator=g, dtype=torch.float32) * (hi - lo) + lo
    fan = (cout // groups) * k * k  # PyTorch's init scale for ConvTranspose2d weights
    x = u((n, cin, h, w), -1.0, 1.0)
    wt = u((cin, cout // groups, k, k), -fan**-0.5, fan**-0.5)
    cb = u((cout,), -0.1, 0.1)
    bias = u((cout,), -0.1, 0.1)
    for name, t in (("x", x), ("w", wt), ("cb", cb), ("bias", bias)):
        t.contiguous().numpy().astype(np.float32).tofile(os.path.join(directory, name + ".f32"))
    return x, wt, cb, bias.view(cout, 1, 1)


def median_ms(f, warmup, reps):
    for _ in range(warmup):
        f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def run_ktconv(bench, shape, directory, threads, warmup, reps, out_file):
    n, cin, cout, h, w, k, s, p, op, d, groups = shape
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_PROC_BIND="spread", OMP_PLACES="threads")
    # PyTorch's OpenMP threads spin for a while after its last parallel region (OpenMP's wait
    # policy); started at once, ktconv-bench shared the cores with them (35 instead of 28 ms on
    # the seed shape). Let them go to sleep first.
    time.sleep(1.0)
    cmd = [bench, "--n", n, "--cin", cin, "--cout", cout, "--h", h, "--w", w, "--k", k, "--s", s, "--p", p,
           "--op", op, "--d", d, "--groups", groups, "--scale", SCALE, "--algorithm", "host_rows",
           "--warmup", warmup, "--reps", reps, "--input-dir", directory, "--save-images", 1, "--output", out_file,
           "--csv"]
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True)
    line = next((l for l in r.stdout.splitlines() if l.startswith("csv,")), None)
    if r.returncode != 0 or line is None:
        sys.exit(f"ktconv-bench failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return float(line.split(",")[-6])  # median ms (fields from the end: median, min, max, TFLOP/s, GB/s, rel)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bench", default=os.environ.get("KTCONV_BENCH", "/tmp/build-cpu/benchmarks/ktconv-bench"))
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated subset of " + ",".join(SHAPES))
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median of their medians is reported")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    m = machine_info()
    lanes, bits = kernel_lanes(args.bench)
    print(f"# machine: {m['model']} (family {m['family']} model {m['cpu_model']}), {m['cores']} cores, "
          f"AVX2 {m['avx2']}, AVX-512 {m['avx512']}")
    print(f"# torch {torch.__version__}, torch threads {torch.get_num_threads()}, ktconv OMP_NUM_THREADS "
          f"{args.threads}; median of {args.reps} after {args.warmup} warm-up, median over {args.rounds} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        measured_peak = measured_fma_peak(tmp, lanes, args.threads) or float("nan")
    print(f"# measured FMA peak at host_rows' vector width ({lanes} floats, {bits} bits), {args.threads} probes at "
          f"once: {measured_peak:.1f} GFLOP/s ({measured_peak / args.threads:.1f} per core)")
    print(f"# load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    rows = []
    with torch.inference_mode(), tempfile.TemporaryDirectory() as tmp:
        for name in args.shapes.split(","):
            shape = SHAPES[name]
            n, cin, cout, h, w, k, s, p, op, d, groups = shape
            x, wt, cb, bias = make_inputs(shape, args.seed, tmp)
            conv = lambda: F.conv_transpose2d(x, wt, cb, stride=s, padding=p, output_padding=op, groups=groups,
                                              dilation=d)

            def model():
                y = conv()
                y = y + bias
                y = torch.clamp(y, 0.0, 1.0)
                y = y * SCALE
                y = torch.clamp(y, 0.0, 1.0)
                return y / SCALE

            # channels_last: the same values in NHWC memory order (weights too), so PyTorch picks
            # oneDNN's deconvolution; the epilogue's element-wise ops keep that layout.
            x_cl = x.contiguous(memory_format=torch.channels_last)
            wt_cl = wt.contiguous(memory_format=torch.channels_last)
            conv_cl = lambda: F.conv_transpose2d(x_cl, wt_cl, cb, stride=s, padding=p, output_padding=op,
                                                 groups=groups, dilation=d)

            def model_cl():
                y = conv_cl()
                y = y + bias
                y = torch.clamp(y, 0.0, 1.0)
                y = y * SCALE
                y = torch.clamp(y, 0.0, 1.0)
                return y / SCALE

            out_file = os.path.join(tmp, "y.f32")
            tm, tc, tm_cl, tc_cl, tk, loads = [], [], [], [], [], []
            for _ in range(args.rounds):
                loads.append(os.getloadavg()[0])
                tm.append(median_ms(model, args.warmup, args.reps))
                tc.append(median_ms(conv, args.warmup, args.reps))
                tm_cl.append(median_ms(model_cl, args.warmup, args.reps))
                tc_cl.append(median_ms(conv_cl, args.warmup, args.reps))
                tk.append(run_ktconv(args.bench, shape, tmp, args.threads, args.warmup, args.reps, out_file))
            ref = model()[0].numpy().ravel().astype(np.float64)
            ref_cl = model_cl()[0].contiguous().numpy().ravel().astype(np.float64)
            rel_cl = np.linalg.norm(ref_cl - ref) / max(np.linalg.norm(ref), 1e-30)
            if not rel_cl < 1e-5:
                sys.exit(f"{name}: PyTorch channels_last and NCHW disagree, rel L2 {rel_cl:.3e}")
            got = np.fromfile(out_file, dtype=np.float32).astype(np.float64)
            if got.size != ref.size:
                sys.exit(f"{name}: ktconv saved {got.size} values, PyTorch's image has {ref.size}")
            rel = np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-30)
            if not rel < 1e-5:
                sys.exit(f"{name}: ktconv and PyTorch disagree, rel L2 {rel:.3e}")
            flop = 2.0 * n * cin * (cout // groups) * h * w * k * k
            t_m, t_c, t_k = statistics.median(tm), statistics.median(tc), statistics.median(tk)
            t_mcl, t_ccl = statistics.median(tm_cl), statistics.median(tc_cl)
            gf = flop / (t_k * 1e-3) / 1e9
            rows.append((name, shape, t_m, t_c, t_mcl, t_ccl, t_k, gf, rel, max(loads)))
            print(f"# {name}: rounds torch model {['%.1f' % v for v in tm]}, conv {['%.1f' % v for v in tc]}, "
                  f"model channels_last {['%.1f' % v for v in tm_cl]}, conv channels_last "
                  f"{['%.1f' % v for v in tc_cl]}, ktconv {['%.1f' % v for v in tk]} ms; "
                  f"load {['%.2f' % v for v in loads]}", flush=True)

    print()
    print("| shape | x -> y | torch model ms (NCHW / channels_last) | torch conv ms (NCHW / channels_last) "
          "| ktconv ms | vs fastest torch model | vs fastest torch conv | ktconv GFLOP/s "
          "| % measured peak | rel L2 vs torch |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, shape, t_m, t_c, t_mcl, t_ccl, t_k, gf, rel, load in rows:
        n, cin, cout, h, w, k, s, p, op, d, groups = shape
        ho = (h - 1) * s - 2 * p + d * (k - 1) + op + 1
        wo = (w - 1) * s - 2 * p + d * (k - 1) + op + 1
        desc = f"({n},{cin},{h},{w}) -> ({n},{cout},{ho},{wo}) k{k} s{s} p{p} op{op} d{d} g{groups}"
        print(f"| {name} | {desc} | {t_m:.1f} / {t_mcl:.1f} | {t_c:.1f} / {t_ccl:.1f} | {t_k:.1f} "
              f"| {min(t_m, t_mcl) / t_k:.2f}x | {min(t_c, t_ccl) / t_k:.2f}x "
              f"| {gf:.1f} | {100 * gf / measured_peak:.1f}% | {rel:.1e} |")
    print(f"\n# load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
