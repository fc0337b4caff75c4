"""How glibc malloc's settings change a training step: one fresh process per (variant, round).

Without PyTorch imported, NumPy's large temporaries come from fresh mmaps, or from a heap top that is
trimmed back to the OS, so their pages fault in again every step.  This compares process-level fixes
on the minigrad LeNet batch-100 step (and PyTorch's, plain and with the environment fix, for
reference): median step time, minor page faults per step, peak RSS, and RSS growth over a training run.

    python benchmarks/allocator.py [--rounds 5] [--repeat 7] [--memory-steps 500] [--json out.json]

Workers are benchmarks/suite.py workers (`--worker minigrad lenet_b100 --malloc-setup ...`).
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402

GIB = str(2 ** 30)
# label: (framework, --malloc-setup, environment additions)
VARIANTS = {
    "plain": ("minigrad", "none", {}),
    "env MALLOC_MMAP_THRESHOLD_=1GiB": ("minigrad", "none", {"MALLOC_MMAP_THRESHOLD_": GIB}),
    "env MALLOC_MMAP_THRESHOLD_ + MALLOC_TRIM_THRESHOLD_ =1GiB":
        ("minigrad", "none", {"MALLOC_MMAP_THRESHOLD_": GIB, "MALLOC_TRIM_THRESHOLD_": GIB}),
    "mallopt(M_MMAP_THRESHOLD, 1GiB)": ("minigrad", "mallopt-mmap", {}),
    "mallopt M_MMAP_THRESHOLD + M_TRIM_THRESHOLD 1GiB": ("minigrad", "mallopt-mmap-trim", {}),
    "mallopt mmap + trim 1GiB + M_TOP_PAD 64MiB": ("minigrad", "mallopt-mmap-trim-pad", {}),
    "mallopt mmap 32MiB + trim 128MiB": ("minigrad", "mallopt32-trim", {}),
    "free one 32,000,000-byte np.empty at start": ("minigrad", "free-32000000", {}),
    "free one 32 MiB np.empty at start": ("minigrad", "free-33554432", {}),
    "PyTorch plain": ("pytorch", "none", {}),
    "PyTorch env MMAP + TRIM =1GiB":
        ("pytorch", "none", {"MALLOC_MMAP_THRESHOLD_": GIB, "MALLOC_TRIM_THRESHOLD_": GIB}),
}
MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX",
              "GLIBC_TUNABLES")


def _env(extra):
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_ENV}
    env.update(extra)
    return env


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--case", default="lenet_b100", choices=tuple(suite.CASES))
    p.add_argument("--memory-steps", type=int, default=500, help="steps of the RSS run per variant (0: skip)")
    p.add_argument("--quiet-wait", type=float, default=60, help="as in suite.py")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    args.sample_s, args.warmup_s, args.torch_threads = 0.1, 0.3, 2
    args.max_foreign, args.retries = 0.1, 2  # suite.py's defaults

    runs = {label: [] for label in VARIANTS}
    for r in range(args.rounds):
        for label in suite._rotate(list(VARIANTS), r):
            fw, setup, env = VARIANTS[label]
            rec = suite.run_measured(fw, args.case, args, ["--malloc-setup", setup], env=_env(env))
            runs[label].append(rec)
            print(f"  round {r + 1} {label}: {rec.get('median_s', 0) * 1e3:.2f} ms {rec.get('error', '')} "
                  f"(others used {rec['foreign_cores']:.2f} cores)",
                  file=sys.stderr, flush=True)
    memory = {}
    if args.memory_steps:
        for label, (fw, setup, env) in VARIANTS.items():
            memory[label] = suite.run_measured(fw, args.case, args, ["--malloc-setup", setup, "--memory-run",
                                                                   str(args.memory_steps)], env=_env(env))

    print(f"{suite.CASES[args.case][0]}: medians of {args.rounds} rounds, one process each\n")
    print("| set-up | step | vs plain | minor faults / step | peak RSS | RSS growth over "
          f"{args.memory_steps} steps | mallopt returned |")
    print("|---|---|---|---|---|---|---|")
    base = {}
    for label, recs in runs.items():
        ok = [x for x in recs if "median_s" in x]
        if not ok:
            print(f"| {label} | fails: {recs[0].get('error')} |")
            continue
        ms = statistics.median(x["median_s"] for x in ok) * 1e3
        fw = VARIANTS[label][0]
        base.setdefault(fw, ms)
        mem = memory.get(label, {})
        growth = f"{mem['rss_growth_mib']:+.1f} MiB (peak {mem['peak_rss_mib']:.0f})" if "rss_growth_mib" in mem \
            else "-"
        print(f"| {label} | {ms:.2f} ms | {ms / base[fw]:.2f} | "
              f"{statistics.median(x['minflt_per_step'] for x in ok):.0f} | "
              f"{statistics.median(x['peak_rss_mib'] for x in ok):.0f} MiB | {growth} | {ok[0].get('mallopt')} |")
    if args.json:
        with open(args.json + ".tmp", "w") as fh:
            json.dump({"runs": runs, "memory": memory, "machine": suite._machine()}, fh, indent=1)
        os.replace(args.json + ".tmp", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
