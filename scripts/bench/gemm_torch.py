# GEMM speed of PyTorch CPU (torch.mm, float32) for scripts/bench/gemm.js: one JSON line per shape.
#   /usr/bin/python3 scripts/bench/gemm_torch.py --threads 1 --reps 10 --shapes 512x512x512,288x36864x64
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--reps", type=int, default=10)
p.add_argument("--shapes", required=True, help="MxKxN,...")
p.add_argument("--cpu", action="store_true", help="process CPU time instead of wall time")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads the BLAS
maps = open("/proc/self/maps").read().lower()  # the BLAS actually loaded (the build config lists several)
blas = "OpenBLAS" if "openblas" in maps else "MKL" if "libmkl" in maps else "?"
for s in a.shapes.split(","):
    m, k, n = map(int, s.split("x"))
    x = torch.randn(m, k)
    y = torch.randn(k, n)
    for _ in range(2):
        torch.mm(x, y)
    ts = []
    for _ in range(a.reps):
        clock = time.process_time if a.cpu else time.perf_counter
        t0 = clock()
        torch.mm(x, y)
        ts.append((clock() - t0) * 1000)
    ts.sort()
    print(json.dumps({"shape": s, "ms": ts[len(ts) // 2], "threads": a.threads, "blas": blas}), flush=True)
