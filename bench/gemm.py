"""GEMM: rkeras vs NumPy in one process, at the shapes of issue 3.

Run (fair peer: unset the OpenBLAS overrides this machine sets, for this command only):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/gemm.py

Each rkeras figure goes through ``rkeras._rkeras.eager("matmul", ...)``, so it includes the
per-call cost of building and running a one-op program (printed separately as "eager
overhead", measured on a 1x1 product) and the allocation of fresh host buffers: on this VM
each large buffer is new mmap'd memory whose page faults cost milliseconds at 1024x1024 (compare
a run with ``MALLOC_MMAP_THRESHOLD_=67108864`` set, which keeps such buffers on the heap). The
pure-Rust kernel figures come from ``cargo bench -p rkeras-core --bench gemm``.
Timing: warmup, then the best of N calls over several rounds; all rkeras shapes first, then
all NumPy shapes (OpenBLAS threads busy-wait after each call and would slow the next rkeras
call).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import rkeras._rkeras as r

# (label, stored A shape, stored B shape, transpose_a, transpose_b)
SHAPES = [
    ("1024x1024 @ 1024x1024", (1024, 1024), (1024, 1024), False, False),
    ("32x784 @ 784x784", (32, 784), (784, 784), False, False),
    ("32x784 @ 784x100", (32, 784), (784, 100), False, False),
    ("(32x784)^T @ 32x784", (32, 784), (32, 784), True, False),
    ("32x784 @ (784x784)^T", (32, 784), (784, 784), False, True),
    ("(32x784)^T @ 32x100", (32, 784), (32, 100), True, False),
    ("32x100 @ (784x100)^T", (32, 100), (784, 100), False, True),
]


def best_of(fn, n: int, times: list | None = None) -> float:
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best = min(best, dt)
        if times is not None:
            times.append(dt)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="rounds per shape (default 5)")
    ap.add_argument(
        "--budget", type=float, default=0.2, help="seconds per shape per round (default 0.2)"
    )
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    cases = []
    for label, sa, sb, ta, tb in SHAPES:
        a = np.ascontiguousarray(rng.standard_normal(sa, dtype=np.float32))
        b = np.ascontiguousarray(rng.standard_normal(sb, dtype=np.float32))
        A = a.T if ta else a
        B = b.T if tb else b
        attrs = {"transpose_a": ta, "transpose_b": tb}
        cases.append((label, a, b, A, B, attrs))

    def measure(fn) -> tuple[float, float]:
        """(best, median) seconds per call."""
        t0 = time.perf_counter()
        for _ in range(3):
            fn()
        per = (time.perf_counter() - t0) / 3
        reps = max(5, min(5000, int(args.budget / max(per, 1e-7))))
        times: list = []
        best = min(best_of(fn, reps, times) for _ in range(args.rounds))
        return best, statistics.median(times)

    # All rkeras timings first, then all NumPy timings: OpenBLAS's worker threads busy-wait for
    # a while after each call, so a rkeras call right after a NumPy call finds the second core
    # taken (measured: (32x784)^T @ 32x100 goes from 26 to 37 us).
    t_rk = [
        measure(lambda a=a, b=b, at=attrs: r.eager("matmul", [a, b], at))
        for _, a, b, _, _, attrs in cases
    ]
    t_np = [measure(lambda A=A, B=B: A @ B) for _, _, _, A, B, _ in cases]
    rows = []
    for (label, a, b, A, B, attrs), tr, tn in zip(cases, t_rk, t_np):
        ref = A @ B
        got = np.asarray(r.eager("matmul", [a, b], attrs))
        err = float(np.max(np.abs(got - ref)) / (np.max(np.abs(ref)) + 1e-30))
        m, k = A.shape
        rows.append((label, m, k, B.shape[1], tn, tr, err))

    # Per-call overhead of the eager path: a 1x1 @ 1x1 product.
    one = np.ones((1, 1), np.float32)
    attrs = {"transpose_a": False, "transpose_b": False}
    for _ in range(100):
        r.eager("matmul", [one, one], attrs)
    overhead = min(best_of(lambda: r.eager("matmul", [one, one], attrs), 2000) for _ in range(3))
    np_overhead = min(best_of(lambda: one @ one, 2000) for _ in range(3))

    cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
    blas = cfg.get("Build Dependencies", {}).get("blas", {}) if isinstance(cfg, dict) else {}
    env = {
        v: os.environ.get(v)
        for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MALLOC_MMAP_THRESHOLD_")
    }
    env_txt = ", ".join(f"{k}={'unset' if v is None else repr(v)}" for k, v in env.items())
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"numpy {np.__version__}, BLAS: {blas.get('name', '?')} {blas.get('version', '')}")
    print(f"env: {env_txt}")
    print(f"rkeras: {r.__file__}")
    print(
        f"timing: best (and median) of N calls x {args.rounds} rounds, rkeras first; "
        "float32, C-contiguous; ratio from the best times"
    )
    print()
    print(
        "| shape (m x k x n) | numpy ms | rkeras ms | ratio numpy/rkeras | numpy GF/s |"
        " rkeras GF/s | numpy median ms | rkeras median ms | rel. err |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, m, k, n, (t_np, med_np), (t_rk, med_rk), err in rows:
        fl = 2.0 * m * n * k
        print(
            f"| {label} ({m}x{k}x{n}) | {t_np * 1e3:.4f} | {t_rk * 1e3:.4f} | "
            f"{t_np / t_rk:.2f} | {fl / t_np / 1e9:.0f} | {fl / t_rk / 1e9:.0f} | "
            f"{med_np * 1e3:.4f} | {med_rk * 1e3:.4f} | {err:.1e} |"
        )
    print()
    print(
        f"eager overhead (1x1 @ 1x1): rkeras {overhead * 1e6:.1f} us/call, "
        f"numpy {np_overhead * 1e6:.2f} us/call (included in the rkeras column above)"
    )


if __name__ == "__main__":
    main()
