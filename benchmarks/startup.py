"""Cold wall time of `mskg triage --finding "saddle numbness" --format json` against the floor its
dependencies set (`python -c "import rdflib, networkx, click"`), as the median of paired runs, with
peak memory (max RSS) of each. The cache is warmed first (it is built at first run).

    python benchmarks/startup.py [--runs 15]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

FLOOR = [sys.executable, "-c", "import rdflib, networkx, click"]


def mskg_command() -> list[str]:
    exe = shutil.which("mskg") or os.path.join(os.path.dirname(sys.executable), "mskg")
    return [exe, "triage", "--finding", "saddle numbness", "--format", "json"]


def run(command: list[str]) -> tuple[float, int]:
    """Wall seconds and the peak RSS (KB) of one run, measured with wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{command} failed with status {status}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    command = mskg_command()
    run(command)  # warm: builds the cache on the first run
    ratios, floor_times, mskg_times, floor_rss, mskg_rss = [], [], [], [], []
    for _ in range(args.runs):
        f, f_rss = run(FLOOR)
        m, m_rss = run(command)
        ratios.append(m / f)
        floor_times.append(f)
        mskg_times.append(m)
        floor_rss.append(f_rss)
        mskg_rss.append(m_rss)
    print(f"mskg startup — median of {args.runs} paired runs (cache warm)")
    print(f"  floor  import rdflib, networkx, click   {statistics.median(floor_times) * 1000:7.1f} ms"
          f"   peak {statistics.median(floor_rss) / 1024:6.1f} MB")
    print(f"  mskg triage --finding 'saddle numbness' {statistics.median(mskg_times) * 1000:7.1f} ms"
          f"   peak {statistics.median(mskg_rss) / 1024:6.1f} MB")
    print(f"  ratio (median of paired ratios)         {statistics.median(ratios):7.2f}x   (target <= 1.30x)")
    cold_cache = os.environ.copy()
    cold_cache["MSKG_NO_CACHE"] = "1"
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=cold_cache, check=True)
    print(f"  without the cache (builds the graph)    {(time.perf_counter() - start) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
