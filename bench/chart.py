"""Fan-out time against audience size (10k, 100k, 1M fans) on SQLite and PostgreSQL, as a PNG.

Each point is a real `massdm serve` delivering one message (POST until finished) and, beside it,
the same run's baseline (one INSERT … SELECT of the same rows), so the chart shows how both
grow with the audience.

    python bench/chart.py [--out docs/benchmarks-fanout.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.run import _fanout_through_server, _floor

SIZES = (10_000, 100_000, 1_000_000)


def measure(backend: str, fans: int, directory: Path) -> tuple[float, float]:
    database = harness.postgres_database() if backend == "PostgreSQL" else harness.sqlite_database(
        directory, f"chart-{fans}")
    try:
        who = harness.creator(database, fans)
        floor = _floor(database, who.account)
        seconds, _, _ = _fanout_through_server(database, directory, who)
        return seconds, (floor + _floor(database, who.account)) / 2
    finally:
        database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/benchmarks-fanout.png")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points: dict[str, list[tuple[int, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="massdm-chart-") as tmp:
        for backend in ("SQLite", "PostgreSQL"):
            for fans in SIZES:
                massdm, floor = measure(backend, fans, Path(tmp))
                points.setdefault(backend, []).append((fans, massdm, floor))
                print(f"{backend:10} {fans:>9,} fans: massdm {massdm:6.2f} s, INSERT … SELECT {floor:6.2f} s",
                      file=sys.stderr)

    figure, axis = plt.subplots(figsize=(7, 4.5), dpi=120)
    colours = {"SQLite": "tab:blue", "PostgreSQL": "tab:orange"}
    for backend, rows in points.items():
        sizes = [r[0] for r in rows]
        axis.plot(sizes, [r[1] for r in rows], "o-", color=colours[backend], label=f"massdm, {backend}")
        axis.plot(sizes, [r[2] for r in rows], "o--", color=colours[backend], alpha=0.6,
                  label=f"one INSERT … SELECT, {backend}")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("audience (fans)")
    axis.set_ylabel("seconds, POST → isDone")
    axis.set_title("Fan-out time against audience size")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out)
    print(json.dumps({b: [[f, round(m, 3), round(x, 3)] for f, m, x in rows] for b, rows in points.items()}))


if __name__ == "__main__":
    main()
