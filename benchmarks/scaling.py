"""Scaling study: fit and transform cost against n on the swiss roll.

Each method is fitted on swiss rolls of growing size (1,000 to 1,000,000
points) and transforms the same 1,000 held-out points; fit seconds,
transform seconds, peak memory, and for the methods that reconstruct the
held-out reconstruction error (the autoencoders also their updates made)
are recorded. A method stops growing once
a fit takes longer than ``--time-cap`` seconds, or when the trend of its
last two sizes predicts that the next fit would pass twice the cap or use
more than half of the available memory (Isomap, LLE and KernelPCA hold
n x n matrices). The log-log slope of each cost against n is fitted on the
sizes from :data:`SLOPE_FROM` on, where fixed costs no longer dominate.

Run: ``python -m benchmarks.scaling`` (writes ``scaling.csv``,
``scaling.md`` and ``scaling.png`` into ``--output``; the committed page is
``python -m benchmarks.scaling --output docs/benchmarks``). ``--replot
docs/benchmarks/scaling.csv`` redraws a run's figure from its saved CSV and
JSON (the slopes), without measuring anything.
"""

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sklearn_ae.metrics import reconstruction_error

from ._measure import available_memory_mb, fit_and_time
from ._methods import available_methods, warm_up
from ._protocol import SEED, load
from ._provenance import command_line, measured_sentence, provenance

SIZES = (
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
)
METHODS = (
    "PCA",
    "KernelPCA",
    "Isomap",
    "LocallyLinearEmbedding",
    "TSNE",
    "UMAP",
    "AutoEncoder",
    "VariationalAutoEncoder",
    "ManifoldAutoEncoder",
)
N_TEST = 1_000
SLOPE_FROM = 5_000
METRICS = ("fit_seconds", "transform_seconds", "peak_memory_mb")
# graph_seconds: the neighbour graph's share of fit_seconds, reported apart
# (ManifoldAutoEncoder; empty for the others). reconstruction_error: mean
# squared distance per held-out point (methods with an inverse_transform);
# n_updates: the autoencoders' gradient updates.
COLUMNS = (
    "method",
    "n_samples",
    *METRICS,
    "graph_seconds",
    "reconstruction_error",
    "n_updates",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument(
        "--time-cap",
        type=float,
        default=120.0,
        help="seconds: a method whose fit takes longer is not grown further",
    )
    parser.add_argument("--output", default="benchmark_results")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--max-iter",
        type=int,
        default=None,
        help="epochs of the autoencoders (default: their own default)",
    )
    parser.add_argument(
        "--replot",
        metavar="CSV",
        help="redraw the figure of a finished run from its CSV (and the JSON "
        "of the same name) into the PNG of the same name; measures nothing",
    )
    args = parser.parse_args(argv)
    if min(args.sizes) < 20:
        parser.error("--sizes: pass at least 20 points per size.")
    return parser, args


def predicted(records, n, metric):
    """The metric at ``n`` extrapolated from the last two records' slope."""
    points = [
        (r["n_samples"], r[metric])
        for r in records
        if np.isfinite(r[metric]) and r[metric] > 0
    ][-2:]
    if len(points) < 2:
        return np.nan
    (n0, v0), (n1, v1) = points
    slope = max(math.log(v1 / v0) / math.log(n1 / n0), 1.0)
    return v1 * (n / n1) ** slope


def loglog_slope(records, metric):
    """Least-squares slope of log(metric) on log(n) over the large sizes."""
    points = [
        (r["n_samples"], r[metric])
        for r in records
        if np.isfinite(r[metric]) and r[metric] > 0
    ]
    large = [p for p in points if p[0] >= SLOPE_FROM]
    points = large if len(large) >= 2 else points
    if len(points) < 2:
        return np.nan
    n, value = np.log(np.array(points, dtype=float)).T
    return float(np.polyfit(n, value, 1)[0])


def measure(method, n_components, X_train, X_test, device):
    """Fit on ``X_train``, transform ``X_test``: one record of costs."""
    estimator = method.make(n_components, device=device)
    costs, Z_test, _ = fit_and_time(
        estimator, X_train, X_test, transductive=method.transductive
    )
    costs["graph_seconds"] = getattr(estimator, "graph_seconds_", float("nan"))
    costs["n_updates"] = getattr(estimator, "n_updates_", float("nan"))
    costs["reconstruction_error"] = (
        reconstruction_error(X_test, estimator.inverse_transform(Z_test))
        if method.reconstructs
        else float("nan")
    )
    return costs


def run(methods, sizes, *, time_cap, device):
    """Grow each method through ``sizes``; returns records and stop reasons."""
    # One roll of the benchmark's seed: the training sets grow from its
    # start, the held-out points are its last N_TEST, the same for every n
    # (the protocol's 20% split would change the held-out set with n).
    X_all = load("swiss_roll", max(sizes) + N_TEST).data
    X_test = X_all[-N_TEST:]
    records, stopped = [], {}
    progress = tqdm(total=len(methods) * len(sizes), desc="scaling")
    for name, method in methods.items():
        own = []
        for n in sorted(sizes):
            progress.set_postfix_str(f"{name} n={n}")
            reason = None
            if own and own[-1]["fit_seconds"] > time_cap:
                last = own[-1]["n_samples"]
                reason = f"fit of n={last} took more than {time_cap:g} s"
            elif predicted(own, n, "fit_seconds") > 2 * time_cap:
                reason = f"n={n} predicted past {2 * time_cap:g} s"
            elif predicted(own, n, "peak_memory_mb") > available_memory_mb() / 2:
                reason = f"n={n} predicted past half the free memory"
            if reason is not None:
                stopped[name] = reason
                progress.update(len(sizes) - len(own))
                break
            record = {"method": name, "n_samples": n}
            try:
                record.update(measure(method, 2, X_all[:n], X_test, device))
            except (ValueError, ArithmeticError, MemoryError, RuntimeError) as exc:
                # A method that fails at some size (LLE's ARPACK on a
                # singular weight matrix) is a finding, not a crash.
                message = str(exc).split(". ")[0][:120]
                stopped[name] = f"n={n} failed: {type(exc).__name__}: {message}"
                progress.update(len(sizes) - len(own))
                break
            own.append(record)
            progress.update(1)
        records.extend(own)
    progress.close()
    return records, stopped


def draw_figure(path, records, slopes):
    """The log-log figure of ``records`` (fit, transform, memory) at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_ae.plotting import plot_scaling

    figure = plot_scaling(records, metrics=METRICS, slopes=slopes)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def replot(csv_path):
    """Redraw a finished run's figure from its CSV and JSON; returns the PNG."""
    import csv

    csv_path = Path(csv_path)
    with open(csv_path, newline="") as f:
        records = [
            {
                "method": line["method"],
                "n_samples": int(line["n_samples"]),
                **{c: float(line[c]) if line.get(c) else np.nan for c in COLUMNS[2:]},
            }
            for line in csv.DictReader(f)
        ]
    info_path = csv_path.with_suffix(".json")
    slopes = json.loads(info_path.read_text())["slopes"] if info_path.exists() else None
    png = csv_path.with_suffix(".png")
    draw_figure(png, records, slopes)
    return png


def write_outputs(output, records, stopped, info):
    methods = list(dict.fromkeys(r["method"] for r in records))
    slopes = {}
    for m in methods:
        own = [r for r in records if r["method"] == m]
        slopes[m] = {k: loglog_slope(own, k) for k in METRICS}
    with open(output / "scaling.csv", "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        for r in records:
            f.write(
                ",".join(
                    "" if _nan(r.get(c, np.nan)) else str(r.get(c)) for c in COLUMNS
                )
                + "\n"
            )
    draw_figure(output / "scaling.png", records, slopes)

    lines = [
        "# Scaling with the number of samples",
        "",
        measured_sentence(info),
        "",
        f"Swiss roll of n points (seed {SEED}); every method embeds it in 2-D "
        f"with its default parameters and transforms the same {N_TEST:,} "
        "held-out points (t-SNE, transductive, embeds them with the rest). A "
        f"method stops growing once a fit takes longer than {info['time_cap']:g} s, "
        "or when its trend predicts the next size past twice that or past half "
        "the free memory. Slopes are least-squares fits of log(cost) on log(n) "
        f"over n >= {SLOPE_FROM:,} (all sizes when fewer than two are that "
        "large): 1 is linear, 2 quadratic. An iteration of the autoencoders "
        "is a pass over the data of at most 1,024 updates. Up to 65,536 rows "
        "they train at most max_iter iterations and stop once the training "
        "loss stops improving (n_iter_no_change); past that their default "
        "learning_rate='auto' trains a fixed 50 iterations (51,200 updates) "
        "annealed to zero, so their training costs the same whatever n, and "
        "only the O(n) work of reading, checking and scaling the data grows. "
        "Peak MB is the growth of resident memory during the "
        "fit, beyond the input, which was in memory before.",
        "",
        "| method | largest n | fit s at largest n | fit slope | transform "
        "slope | memory slope | stopped because |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in methods:
        own = [r for r in records if r["method"] == m]
        last = own[-1]
        cells = [
            m,
            f"{last['n_samples']:,}",
            f"{last['fit_seconds']:.2f}",
            *(_slope(slopes[m][k]) for k in METRICS),
            stopped.get(m, ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "![Fit time, transform time and peak memory against n, log-log](scaling.png)",
        "",
        "## All measurements",
        "",
        "| method | n | fit s | transform s | peak MB | of fit s: graph s "
        "| held-out recon. error | updates |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in records:
        cells = [r["method"], f"{r['n_samples']:,}"] + [
            "" if _nan(r.get(k, np.nan)) else f"{r[k]:.4g}"
            for k in (*METRICS, "graph_seconds", "reconstruction_error")
        ]
        updates = r.get("n_updates", np.nan)
        cells.append("" if _nan(updates) else f"{int(updates):,}")
        lines.append("| " + " | ".join(cells) + " |")
    (output / "scaling.md").write_text("\n".join(lines) + "\n")
    (output / "scaling.json").write_text(
        json.dumps({**info, "slopes": slopes, "stopped": stopped}, indent=2)
    )
    return slopes


def _nan(value):
    return isinstance(value, float) and not np.isfinite(value)


def _slope(value):
    return "" if _nan(value) else f"{value:.2f}"


def main(argv=None):
    parser, args = parse_args(argv)
    if args.replot:
        print(f"Redrawn: {replot(args.replot)}")
        return None
    start = time.perf_counter()
    available = available_methods(include_umap="UMAP" in args.methods)
    unknown = [m for m in args.methods if m not in available]
    if unknown:
        missing = [m for m in unknown if m == "UMAP"]
        if missing and len(missing) == len(unknown):
            print("umap-learn is not installed: UMAP left out.")
        else:
            parser.error(f"unknown methods {unknown}; choose from {list(available)}")
    methods = {m: available[m] for m in args.methods if m in available}
    if args.max_iter is not None:
        for method in methods.values():
            if method.autoencoder:
                method.params["max_iter"] = args.max_iter
    # Above 4,096 points UMAP compiles its NN-descent path too: warm both.
    one_time = warm_up(methods, args.device, n_points=5_000)

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    records, stopped = run(
        methods, args.sizes, time_cap=args.time_cap, device=args.device
    )
    info = {
        **provenance(command_line("python -m benchmarks.scaling", argv), args.device),
        "time_cap": args.time_cap,
        "sizes": sorted(args.sizes),
        "umap_compile_seconds": one_time.get("UMAP"),
        "total_seconds": time.perf_counter() - start,
    }
    slopes = write_outputs(output, records, stopped, info)
    for m, by_metric in slopes.items():
        figures = ", ".join(f"{k} {_slope(v) or '-'}" for k, v in by_metric.items())
        largest = max(r["n_samples"] for r in records if r["method"] == m)
        print(f"{m}: slopes {figures}; largest n {largest:,} {stopped.get(m, '')}")
    print(f"Written to {output}/ in {info['total_seconds'] / 60:.1f} minutes")
    return records


if __name__ == "__main__":
    main()
