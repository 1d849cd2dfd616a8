"""Chart of a scripts/bench result file: catch-up MiB/s and CPU-seconds per GiB per codec, and
steady-state latency, strait against MirrorMaker 2. Needs matplotlib.

    python3 bench/chart.py bench/results/latest.json docs/benchmark.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

COLORS = {"strait": "#1f77b4", "mm2": "#d62728"}
LABELS = {"strait": "strait", "mm2": "MirrorMaker 2"}


def bars(ax, groups, values, title, ylabel, fmt="{:.0f}", log=False):
    width = 0.38
    for i, impl in enumerate(("strait", "mm2")):
        xs = [g + (i - 0.5) * width for g in range(len(groups))]
        ys = [values.get(impl, {}).get(c) for c in groups]
        ys_plot = [y if y is not None else 0 for y in ys]
        rects = ax.bar(xs, ys_plot, width, label=LABELS[impl], color=COLORS[impl])
        for r, y in zip(rects, ys):
            if y is not None:
                ax.annotate(fmt.format(y), (r.get_x() + r.get_width() / 2, r.get_height()),
                            ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.margins(y=0.15)
    ax.legend(fontsize=8)


def main():
    doc = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    s = doc["summary"]
    codecs = list(s["catchup"].keys())
    mibs = {i: {c: s["catchup"][c].get(i, {}).get("mib_per_s") for c in codecs} for i in ("strait", "mm2")}
    cpu = {i: {c: s["catchup"][c].get(i, {}).get("cpu_s_per_gib") for c in codecs} for i in ("strait", "mm2")}
    lat = s.get("latency", {})
    panels = 3 if lat else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4.2))
    cfg = doc["meta"]["config"]
    bars(axes[0], codecs, mibs, "Catch-up throughput (higher is better)", "MiB/s of 1 KiB records")
    bars(axes[1], codecs, cpu, "Replicator CPU per GiB (lower is better)", "CPU-seconds per GiB (log)",
         fmt="{:.1f}", log=True)
    if lat:
        qs = ["target_p50_ms", "target_p99_ms"]
        vals = {i: {q: lat.get(i, {}).get(q) for q in qs} for i in ("strait", "mm2")}
        bars(axes[2], qs, vals, f"Steady state {cfg['latency_rate']} rec/s {cfg['latency_codec']}: "
             "latency (lower is better)", "ms, CreateTime → readable on target")
        axes[2].set_xticks(range(2), ["p50", "p99"])
    commit = doc["meta"]["git_commit"][:10]
    fig.suptitle(f"strait vs MirrorMaker 2 — {cfg['records']:,} records × 1 KiB, {cfg['partitions']} partitions, "
                 f"median of {cfg['reps']} runs, {doc['meta']['machine']['cpus']} CPUs, commit {commit}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
