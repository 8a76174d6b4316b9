"""The benchmark scripts: smoke runs, the targets' verdicts, measurement."""

import ast
import csv
import json
import math
import types
from pathlib import Path

import numpy as np
import pytest

from benchmarks.__main__ import main
from benchmarks._evaluate import COMPRESSION, plan
from benchmarks._measure import PeakMemory, fit_and_time, repeat_timing
from benchmarks._methods import VARIANTS, available_methods
from benchmarks._targets import targets
from benchmarks.scaling import loglog_slope, predicted
from benchmarks.scaling import main as scaling_main
from benchmarks.seeds import main as seeds_main

ROOT = Path(__file__).resolve().parent.parent


def _quick_run(output, methods, *options):
    """A --quick run on 200 points of the swiss roll and digits; its rows."""
    main(
        [
            "--quick",
            "--datasets",
            "swiss_roll",
            "digits",
            "--methods",
            *methods,
            "--n-samples",
            "200",
            *options,
            "--output",
            str(output),
            "--device",
            "cpu",
        ]
    )
    with open(output / "results.csv") as f:
        return list(csv.DictReader(f))


def test_quick_run_writes_tables_figures_and_report(tmp_path):
    rows = _quick_run(tmp_path, ["PCA", "KernelPCA", "AutoEncoder"])
    k = str(COMPRESSION["digits"])
    assert [(r["dataset"], r["method"], r["n_components"]) for r in rows] == [
        ("swiss_roll", "PCA", "2"),
        ("swiss_roll", "KernelPCA", "2"),
        ("swiss_roll", "AutoEncoder", "2"),
        ("digits", "PCA", "2"),
        ("digits", "KernelPCA", "2"),
        ("digits", "AutoEncoder", "2"),
        ("digits", "PCA", k),
        ("digits", "KernelPCA", k),
        ("digits", "AutoEncoder", k),
    ]
    for row in rows:
        assert 0 < float(row["trustworthiness"]) <= 1
        assert float(row["fit_seconds"]) >= 0
        assert float(row["reconstruction_error"]) > 0
        assert float(row["transform_seconds"]) > 0
    swiss, digits = rows[0], rows[3]
    assert digits["knn_accuracy"] and not swiss["knn_accuracy"]
    assert swiss["coordinate_correlation"] and not digits["coordinate_correlation"]
    # More components reconstruct better (PCA exactly, as a sanity check).
    assert float(rows[6]["reconstruction_error"]) < float(
        rows[3]["reconstruction_error"]
    )
    report = (tmp_path / "results.md").read_text()
    assert "## digits, 2-D embedding" in report and f"## digits, {k}-D" in report
    assert "| AutoEncoder |" in report
    assert "--n-samples 200" in report  # the command that reproduces it
    # The results lead; the targets and how it was measured follow them.
    assert report.index("## swiss_roll") < report.index("## How this was measured")
    run = json.loads((tmp_path / "run.json").read_text())
    assert len(run["commit"]) == 40 and isinstance(run["dirty"], bool)
    assert run["cpu_model"] and run["torch_cpu_capability"]
    assert run["math_libraries"] and run["torch_math_libraries"]
    assert len(run["load_average"]) == 3 and "Load average" in report
    assert f"commit {run['commit'][:10]}" in report and run["cpu_model"] in report
    for figure in (
        "embeddings_digits.png",
        "embeddings_swiss_roll.png",
        "latent_traversal_AutoEncoder.png",
        "loss_curves.png",
        "reconstructions.png",
    ):
        assert (tmp_path / figure).stat().st_size > 1000
        assert f"]({figure})" in report


def test_unknown_method_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        main(["--quick", "--methods", "NoSuchMethod", "--output", str(tmp_path)])


def test_plan_compresses_only_with_methods_that_reconstruct():
    methods = available_methods(include_umap=False)
    tasks = plan(["swiss_roll", "mnist"], methods, {"swiss_roll": 3, "mnist": 784})
    assert [(d, k) for d, k, _ in tasks] == [
        ("swiss_roll", 2),
        ("mnist", 2),
        ("mnist", COMPRESSION["mnist"]),
    ]
    compression = tasks[-1][2]
    assert "PCA" in compression and "AutoEncoder" in compression
    assert "Isomap" not in compression and "TSNE" not in compression
    assert "TSNE" in tasks[0][2]
    # The variant tuned for 2-D codes runs on the 2-D tasks only.
    assert "DenoisingAutoEncoder-wide" in tasks[1][2]
    assert "DenoisingAutoEncoder-wide" not in compression


def test_variants_build_their_class_with_their_parameters():
    methods = available_methods(include_umap=False, quick=True)
    for name, (class_name, params, _) in VARIANTS.items():
        estimator = methods[name].make(2, device="cpu")
        assert type(estimator).__name__ == class_name
        assert {k: estimator.get_params()[k] for k in params} == params
        # --quick shortens every autoencoder, variants included.
        assert estimator.max_iter == 5


def _row(method, k=2, **figures):
    return {"dataset": "mnist", "method": method, "n_components": k, **figures}


def test_targets_report_met_and_missed():
    methods = available_methods(include_umap=False)
    rows = [
        _row("PCA", 30, reconstruction_error=10.0),
        _row("AutoEncoder", 30, reconstruction_error=7.0),
        _row("PCA", knn_accuracy=0.4, trustworthiness=0.7),
        _row("Isomap", knn_accuracy=0.6, trustworthiness=0.8),
        _row("AutoEncoder", knn_accuracy=0.5, trustworthiness=0.9),
        _row("VariationalAutoEncoder", knn_accuracy=0.3, trustworthiness=0.95),
    ]

    verdicts = [met for *_, met in targets(rows, methods)]
    # 7 / 10 misses 0.65; the best AE by kNN beats PCA but not Isomap.
    assert verdicts == [False, True, False]
    rows[1]["reconstruction_error"] = 6.0
    assert targets(rows, methods)[0][3] is True
    # A tuned variant competes as an autoencoder, under its own name.
    rows.append(
        _row("DenoisingAutoEncoder-wide", knn_accuracy=0.7, trustworthiness=0.9)
    )
    vs_isomap = targets(rows, methods)[2]
    assert "DenoisingAutoEncoder-wide" in vs_isomap[0] and vs_isomap[3] is True


def test_seed_spread_reports_median_and_range(tmp_path):
    summary = seeds_main(
        [
            "--quick",
            "--dataset",
            "digits",
            "--n-samples",
            "200",
            "--methods",
            "PCA",
            "AutoEncoder",
            "--seeds",
            "0",
            "1",
            "--output",
            str(tmp_path),
            "--device",
            "cpu",
        ]
    )
    assert [line["method"] for line in summary] == ["PCA", "AutoEncoder"]
    assert all(line["seeds"] == 2 for line in summary)
    # "median (min-max)", and the median lies in its range.
    median, low, high = (
        float(v)
        for v in summary[1]["knn_accuracy"]
        .replace("(", "")
        .replace(")", "")
        .replace("-", " ")
        .split()
    )
    assert low <= median <= high
    page = (tmp_path / "seeds.md").read_text()
    assert "--seeds 0 1" in page and "| AutoEncoder | 1 |" in page
    assert "](seeds.png)" in page and (tmp_path / "seeds.png").stat().st_size > 1000


def test_seed_spread_needs_two_seeds(tmp_path):
    with pytest.raises(SystemExit):
        seeds_main(["--seeds", "3", "--output", str(tmp_path)])


def test_peak_memory_sees_numpy_and_torch_allocations():
    torch = pytest.importorskip("torch")
    with PeakMemory() as idle:
        pass
    with PeakMemory() as numpy_block:
        block = np.ones(25_000_000)  # 200 MB
        del block
    with PeakMemory() as torch_block:
        tensor = torch.ones(25_000_000, dtype=torch.float64)
        del tensor
    if math.isnan(numpy_block.peak_mb):
        pytest.skip("no /proc/self/clear_refs: peak memory is not measured here")
    assert idle.peak_mb < 50
    assert 150 < numpy_block.peak_mb < 400
    assert 150 < torch_block.peak_mb < 400


def test_repeat_timing_repeats_fast_calls_and_returns_the_result():
    calls = []
    seconds, result = repeat_timing(lambda: calls.append(1) or len(calls))
    assert len(calls) == 5 and result == 5 and seconds >= 0


def test_fit_and_time_embeds_transductive_methods_with_the_test_points():
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    rng = np.random.RandomState(0)
    X_train, X_test = rng.normal(size=(60, 5)), rng.normal(size=(20, 5))
    costs, Z_test, Z_train = fit_and_time(PCA(2), X_train, X_test)
    assert Z_train is None and Z_test.shape == (20, 2)
    assert costs["transform_seconds"] > 0 and costs["fit_seconds"] > 0
    tsne = TSNE(2, perplexity=10, init="pca", random_state=0)
    costs, Z_test, Z_train = fit_and_time(tsne, X_train, X_test, transductive=True)
    assert Z_train.shape == (60, 2) and Z_test.shape == (20, 2)
    # The test codes are the last rows of the joint embedding.
    np.testing.assert_array_equal(Z_test, tsne.embedding_[60:])
    assert math.isnan(costs["transform_seconds"])


def test_scaling_slopes_and_prediction():
    records = [
        {"method": "m", "n_samples": n, "fit_seconds": 1e-6 * n**2}
        for n in (1_000, 5_000, 10_000, 20_000)
    ]
    assert loglog_slope(records, "fit_seconds") == pytest.approx(2.0)
    assert predicted(records, 40_000, "fit_seconds") == pytest.approx(1600.0)
    # A flat trend is still extrapolated at least linearly.
    flat = [{"n_samples": n, "fit_seconds": 1.0} for n in (1_000, 2_000)]
    assert predicted(flat, 4_000, "fit_seconds") == pytest.approx(2.0)


def test_scaling_smoke_run_stops_methods_past_the_time_cap(tmp_path):
    scaling_main(
        [
            "--sizes",
            "100",
            "200",
            "400",
            "--methods",
            "PCA",
            "AutoEncoder",
            "--max-iter",
            "2",
            "--time-cap",
            "0.000001",
            "--output",
            str(tmp_path),
            "--device",
            "cpu",
        ]
    )
    with open(tmp_path / "scaling.csv") as f:
        rows = list(csv.DictReader(f))
    # Every fit passes a one-microsecond cap: each method stops after n=100.
    assert [(r["method"], r["n_samples"]) for r in rows] == [
        ("PCA", "100"),
        ("AutoEncoder", "100"),
    ]
    page = (tmp_path / "scaling.md").read_text()
    assert "took more than" in page
    assert (tmp_path / "scaling.png").stat().st_size > 1000


class _FailsPastTwoHundred:
    """A reducer whose fit fails on more than 200 points."""

    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X):
        if len(X) > 200:
            raise ValueError("Factor is exactly singular. More text")
        return self

    def transform(self, X):
        return X[:, : self.n_components]


def test_scaling_records_a_failure_as_the_reason_to_stop():
    from benchmarks._methods import Method
    from benchmarks.scaling import run

    method = Method("Fragile", _FailsPastTwoHundred)
    records, stopped = run(
        {"Fragile": method}, [100, 200, 400, 800], time_cap=60, device="cpu"
    )
    assert [r["n_samples"] for r in records] == [100, 200]
    assert stopped == {
        "Fragile": "n=400 failed: ValueError: Factor is exactly singular"
    }


# Public API only: the benchmarks and the gallery show what a user can do.
SCANNED = [
    *sorted((ROOT / "benchmarks").glob("*.py")),
    *sorted((ROOT / "docs" / "examples").glob("*.py")),
]


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _root(node):
    """The name an expression such as ``a.b().c[0].d`` starts from, or None."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def private_uses(source):
    """Uses of private sklearn_ae names in ``source``: ``[(line, text)]``.

    Flags imports of private sklearn_ae modules or names, ``._name``
    attributes (and ``getattr(x, "_name")``) of anything that may be a
    sklearn_ae object, and attributes of a fitted ``net_`` that skorch's
    ``NeuralNet`` does not have (the private net subclass's own state,
    such as ``prior_sampler``). Not flagged: relative imports (a script's own
    helpers, ``from ._measure import ...``), attributes of ``self`` and
    ``cls``, of a relative import, and of names imported from other
    packages (numpy, torch, matplotlib).
    """
    from skorch import NeuralNet

    tree = ast.parse(source)
    own, foreign, found = {"self", "cls"}, set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                bound = alias.asname or parts[0]
                if parts[0] == "sklearn_ae":
                    if any(_is_private(p) for p in parts[1:]):
                        found.append((node.lineno, f"import {alias.name}"))
                else:
                    foreign.add(bound)
        elif isinstance(node, ast.ImportFrom):
            names = [alias.asname or alias.name for alias in node.names]
            if node.level:
                own.update(names)
                continue
            parts = (node.module or "").split(".")
            if parts[0] != "sklearn_ae":
                foreign.update(names)
                continue
            private = [p for p in parts[1:] if _is_private(p)]
            private += [a.name for a in node.names if _is_private(a.name)]
            if private:
                found.append((node.lineno, f"from {node.module} import {private}"))
    skorch_public = set(dir(NeuralNet))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "getattr":
            args = node.args
            if len(args) >= 2 and isinstance(args[1], ast.Constant):
                name, attribute = args[1].value, args[0]
            else:
                continue
        elif isinstance(node, ast.Attribute):
            name, attribute = node.attr, node.value
        else:
            continue
        if not isinstance(name, str):
            continue
        root = _root(attribute)
        if root in own or root in foreign:
            continue
        if _is_private(name):
            found.append((node.lineno, f"._{name.lstrip('_')}"))
        elif (
            isinstance(attribute, ast.Attribute)
            and attribute.attr == "net_"
            and name not in skorch_public
            and not name.endswith("_")
        ):
            found.append((node.lineno, f".net_.{name}"))
    return sorted(found)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import sklearn_ae._base as _base\n_base._standardisation", 2),
        ("from sklearn_ae._adversarial import mixture_means", 1),
        ("from sklearn_ae import _contractive", 1),
        ("from sklearn_ae.datasets import _draw_rows", 1),
        ("model._corruption(X)", 1),
        ("reference._make_criterion()", 1),
        ("getattr(model, '_make_criterion')()", 1),
        ("model.net_.prior_sampler(10, rng)", 1),
        ("import sklearn_ae\nsklearn_ae._base._standardisation", 2),
        ("from ._measure import fit_and_time\n_measure = 1", 0),
        ("from . import _methods\n_methods._umap_class()", 0),
        ("self._start = 0\ncls._registry", 0),
        ("import numpy as np\nnp.random._bit_generator", 0),
        ("from sklearn_ae.priors import mixture_means\nsklearn_ae.__all__", 0),
        ("model.net_.module_.train()\nmodel.net_.history\nmodel.net_.predict", 0),
    ],
)
def test_private_use_heuristic(source, flagged):
    assert len(private_uses(source)) == flagged, private_uses(source)


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scripts_and_examples_use_only_public_names(path):
    uses = private_uses(path.read_text())
    assert not uses, f"{path} uses private sklearn_ae names: {uses}"


RESUMABLE = [
    "--quick",
    "--datasets",
    "swiss_roll",
    "digits",
    "--methods",
    "PCA",
    "KernelPCA",
    "--n-samples",
    "200",
    "--device",
    "cpu",
]


def _steady_costs(monkeypatch, *, interrupt_at=None):
    """Patch the row timing to fixed costs; count rows, interrupt at one."""
    import benchmarks._evaluate as evaluate_module

    real = evaluate_module.fit_and_time
    calls = []

    def fit_and_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        costs, Z_test, Z_train = real(*args, **kwargs)
        costs.update(fit_seconds=1.0, transform_seconds=0.01, peak_memory_mb=5.0)
        return costs, Z_test, Z_train

    monkeypatch.setattr(evaluate_module, "fit_and_time", fit_and_time)
    return calls


def _tables(report):
    """The task tables and known failures of a results page."""
    return report[report.index("## swiss_roll") : report.index("## Figures")]


def test_interrupted_run_keeps_its_rows_and_resumes_with_the_rest(
    tmp_path, monkeypatch
):
    full, broken = tmp_path / "full", tmp_path / "broken"
    calls = _steady_costs(monkeypatch)
    main([*RESUMABLE, "--output", str(full)])
    n_rows = len(calls)
    assert n_rows == 6  # 2 methods x (2 embeddings + 1 compression)

    calls = _steady_costs(monkeypatch, interrupt_at=4)
    with pytest.raises(KeyboardInterrupt):
        main([*RESUMABLE, "--output", str(broken)])
    saved = (broken / "results.csv").read_text().splitlines()
    # The header and the three rows finished before the interruption.
    assert saved == (full / "results.csv").read_text().splitlines()[:4]

    calls = _steady_costs(monkeypatch)
    main([*RESUMABLE, "--output", str(broken), "--resume"])
    assert len(calls) == n_rows - 3, "only the missing rows are measured"
    assert (broken / "results.csv").read_text() == (full / "results.csv").read_text()
    resumed = (broken / "results.md").read_text()
    assert _tables(resumed) == _tables((full / "results.md").read_text())
    assert "Resumed run: 3 rows" in resumed
    # The embedding figure has every row: the resumed rows' codes were saved.
    assert (broken / "embeddings_digits.png").stat().st_size > 1000


class _SwallowsCtrlC:
    """PCA whose fit, like skorch's, ends early on Ctrl-C and returns."""

    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X):
        import os
        import signal
        import time

        from sklearn.decomposition import PCA

        self.pca_ = PCA(self.n_components).fit(X)
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the signal arrives well before this ends
        except KeyboardInterrupt:
            pass
        return self

    def transform(self, X):
        return self.pca_.transform(X)


def test_ctrl_c_swallowed_by_a_fit_still_stops_the_run_unsaved(tmp_path, monkeypatch):
    import benchmarks.__main__ as script
    from benchmarks._methods import Method

    real = script.available_methods

    def with_swallower(**kwargs):
        return {**real(**kwargs), "Swallower": Method("Swallower", _SwallowsCtrlC)}

    monkeypatch.setattr(script, "available_methods", with_swallower)
    argv = ["--quick", "--datasets", "swiss_roll", "--methods", "PCA", "Swallower"]
    with pytest.raises(KeyboardInterrupt):
        main([*argv, "--n-samples", "200", "--output", str(tmp_path)])
    with open(tmp_path / "results.csv") as f:
        rows = list(csv.DictReader(f))
    # PCA's row was saved; the fit cut short by Ctrl-C was not.
    assert [(r["dataset"], r["method"]) for r in rows] == [("swiss_roll", "PCA")]


def test_resume_refuses_a_run_with_other_settings(tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        main([*RESUMABLE, "--output", str(tmp_path), "--resume"])
    assert "holds no run to resume" in capsys.readouterr().err

    _steady_costs(monkeypatch, interrupt_at=2)
    with pytest.raises(KeyboardInterrupt):
        main([*RESUMABLE, "--output", str(tmp_path)])
    other = [arg if arg != "200" else "300" for arg in RESUMABLE]
    with pytest.raises(SystemExit):
        main([*other, "--output", str(tmp_path), "--resume"])
    error = capsys.readouterr().err
    assert "other settings" in error and "n_samples" in error


class _Warns:
    """PCA that warns in its fit, the way Isomap warns of a split graph."""

    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X):
        import warnings

        from sklearn.decomposition import PCA

        for _ in range(2):
            warnings.warn("the graph is not fully connected", UserWarning, stacklevel=2)
        warnings.warn("Changing the sparsity structure", RuntimeWarning, stacklevel=2)
        self.pca_ = PCA(self.n_components).fit(X)
        return self

    def transform(self, X):
        return self.pca_.transform(X)


def test_warnings_are_recorded_per_row_and_listed_in_the_report(
    tmp_path, monkeypatch, capsys
):
    import benchmarks.__main__ as script
    from benchmarks._methods import Method

    real = script.available_methods

    def with_warner(**kwargs):
        return {**real(**kwargs), "Warner": Method("Warner", _Warns)}

    monkeypatch.setattr(script, "available_methods", with_warner)
    main(
        [
            "--quick",
            "--datasets",
            "swiss_roll",
            "--methods",
            "PCA",
            "Warner",
            "--n-samples",
            "200",
            "--output",
            str(tmp_path),
            "--device",
            "cpu",
        ]
    )
    assert "not fully connected" not in capsys.readouterr().err
    with open(tmp_path / "warnings.csv") as f:
        caught = list(csv.DictReader(f))
    assert {(w["method"], w["category"], w["count"]) for w in caught} == {
        ("Warner", "UserWarning", "2"),
        ("Warner", "RuntimeWarning", "1"),
    }
    report = (tmp_path / "results.md").read_text()
    section = report[report.index("## Warnings") :]
    assert (
        "| Warner | swiss_roll 2-D | UserWarning: the graph is not fully "
        "connected | 2 |" in section
    )
    assert "PCA |" not in section


def _task(dataset, k, **rows):
    return [
        {"dataset": dataset, "method": m, "n_components": k, "transductive": False}
        | figures
        for m, figures in rows.items()
    ]


def test_rows_worse_than_pca_are_flagged_with_a_reason():
    from benchmarks._report import (
        FAILURE_MARK,
        GENERIC_REASON,
        known_failures,
        task_report,
    )

    digits = _task(
        "digits",
        2,
        PCA={"trustworthiness": 0.82, "knn_accuracy": 0.62},
        VariationalAutoEncoder={"trustworthiness": 0.56, "knn_accuracy": 0.21},
        # Better on one figure of two: not a failure.
        AutoEncoder={"trustworthiness": 0.94, "knn_accuracy": 0.60},
        Mystery={"trustworthiness": 0.70, "knn_accuracy": 0.50},
    )
    compression = _task(
        "digits",
        10,
        PCA={"trustworthiness": 0.99, "reconstruction_error": 1.29},
        # Worse trust but better reconstruction: compression judges the latter.
        AutoEncoder={"trustworthiness": 0.9, "reconstruction_error": 0.60},
        KernelPCA={"trustworthiness": 0.99, "reconstruction_error": 2.85},
    )
    roll = _task(
        "swiss_roll",
        2,
        PCA={"trustworthiness": 0.915},
        KernelPCA={"trustworthiness": 0.589},
    )
    rows = digits + compression + roll
    flagged = {
        (d, k): [(m, reason) for m, _, reason in known_failures(rows, d, k)]
        for d, k in [("digits", 2), ("digits", 10), ("swiss_roll", 2)]
    }
    assert [m for m, _ in flagged["digits", 2]] == ["VariationalAutoEncoder", "Mystery"]
    assert "posterior collapse" in flagged["digits", 2][0][1]
    assert flagged["digits", 2][1][1] == GENERIC_REASON
    assert flagged["digits", 10] == [("KernelPCA", GENERIC_REASON)]
    assert "gamma" in flagged["swiss_roll", 2][0][1]

    page = task_report(rows, "digits", 2)
    assert f"| VariationalAutoEncoder {FAILURE_MARK} |" in page
    assert "| AutoEncoder |" in page
    assert "Known failures" in page
    assert "- Mystery: trust 0.700 vs PCA 0.820, 5-NN acc. 0.500 vs PCA 0.620." in (
        page
    )
    # Without a PCA row there is nothing to compare with.
    assert known_failures(digits[1:], "digits", 2) == []


def test_failure_flags_compare_at_the_printed_precision():
    from benchmarks._report import known_failures

    rows = _task(
        "digits",
        10,
        PCA={"reconstruction_error": 1.2928},
        AutoEncoder={"reconstruction_error": 1.2937},  # both print 1.29
        SparseAutoEncoder={"reconstruction_error": 1.3012},  # prints 1.30
    )
    assert [m for m, *_ in known_failures(rows, "digits", 10)] == ["SparseAutoEncoder"]


def test_generic_failure_reason_names_the_parameters_used():
    from benchmarks._methods import PARAMS
    from benchmarks._report import task_report

    rows = _task(
        "digits",
        10,
        PCA={"reconstruction_error": 1.29},
        KernelPCA={"reconstruction_error": 2.85},
    )
    page = task_report(rows, "digits", 10, params={"KernelPCA": PARAMS["KernelPCA"]})
    assert "with kernel='rbf', fit_inverse_transform=True" in page
    assert "default parameters" not in page


def test_a_target_verdict_that_flips_between_seeds_says_so(tmp_path):
    from benchmarks._report import write_report
    from benchmarks._targets import seed_verdicts

    methods = available_methods(include_umap=False)

    def manifold(seed, corr):
        return {
            "dataset": "swiss_roll",
            "method": "ManifoldAutoEncoder",
            "n_components": 2,
            "seed": seed,
            "transductive": False,
            "trustworthiness": 0.99,
            "coordinate_correlation": corr,
        }

    rows = [manifold(0, 0.995), manifold(1, 0.985), manifold(2, 0.993)]
    checks = targets([rows[0]], methods)
    assert [met for *_, met in checks] == [True]
    verdicts = seed_verdicts(rows, methods, [0, 1, 2])
    assert verdicts == [(2, 3)]
    # A target of rows fitted once has no spread to report.
    assert seed_verdicts(rows[:1], methods, [0, 1, 2]) == [None]
    run = {
        "command": "python -m benchmarks",
        "date": "2026-12-05",
        "machine": "Linux",
        "cpu_count": 2,
        "device": "cpu",
        "versions": {"sklearn_ae": "0", "torch": "2", "scikit-learn": "1"},
        "test_size_percent": 20,
        "test_size": 0.2,
        "seed": 0,
        "seeds": [0, 1, 2],
        "spread_datasets": ["swiss_roll"],
        "datasets": ["swiss_roll"],
        "params": {},
        "one_time_seconds": {},
    }
    path = tmp_path / "results.md"
    tasks = [("swiss_roll", 2, ["ManifoldAutoEncoder"])]
    write_report(path, rows, tasks, checks, run, {}, (), verdicts)
    page = path.read_text()
    assert "met at 2 of 3 seeds: the margin is inside the seed range" in page
    # "|Spearman|" in a target's name is escaped: the row keeps its 4 cells.
    line = next(
        x
        for x in page.splitlines()
        if x.startswith("| swiss_roll: ManifoldAutoEncoder defaults")
    )
    assert line.replace("\\|", "").count("|") == 5
    assert page.index("## swiss_roll") < page.index("## Targets")


def test_progress_estimates_the_time_left_from_the_expected_costs(monkeypatch):
    import benchmarks._progress as progress_module
    from benchmarks._progress import PRIOR_SECONDS, Progress

    clock = [0.0]
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: clock[0])
    weights = {"fast": 1.0, "slow": 600.0, "done": 5.0}
    progress = Progress(weights, done={"done"})
    assert progress.bar.n == 1 and progress.bar.total == 3
    # Before any row: the committed page's costs as they are.
    assert progress.remaining_seconds() == pytest.approx(601.0)
    # A first fast row that took 10 s instead of 1 does not predict 10 times
    # the rest: the observed speed is pulled towards the committed one.
    clock[0] = 10.0
    progress.finished("fast")
    expected = 600.0 * (10.0 + PRIOR_SECONDS) / (1.0 + PRIOR_SECONDS)
    assert progress.remaining_seconds() == pytest.approx(expected)
    assert progress.remaining_seconds() < 2 * 600.0
    progress.starting("digits 2-D / TSNE")
    assert "2/3 tasks" in str(progress.bar) and "left" in str(progress.bar)
    progress.close()


def test_scaling_figure_redraws_from_its_saved_records(tmp_path):
    from benchmarks.scaling import replot

    (tmp_path / "scaling.csv").write_text(
        "method,n_samples,fit_seconds,transform_seconds,peak_memory_mb,"
        "graph_seconds,reconstruction_error,n_updates\n"
        "PCA,1000,0.001,0.0001,0.8,,37.2,\n"
        "PCA,2000,0.002,0.0001,1.6,,36.2,\n"
        "AutoEncoder,1000,5.0,0.002,6.0,,4.5,5000\n"
        "AutoEncoder,2000,9.0,0.002,7.0,,4.4,9000\n"
    )
    png = replot(tmp_path / "scaling.csv")
    assert png == tmp_path / "scaling.png" and png.stat().st_size > 1000


def test_row_weights_follow_the_committed_times_then_the_table():
    from benchmarks._evaluate import ROW_OVERHEAD_SECONDS, fits, row_weights

    methods = available_methods(include_umap=False)
    tasks = [("digits", 2, ["PCA", "TSNE", "AutoEncoder"])]
    keys = fits(tasks, methods, seeds=(0, 1), spread=("digits",))
    weights = row_weights(keys, methods, quick=False)
    assert weights["digits", "PCA", 2, 0] < weights["digits", "TSNE", 2, 0]
    assert weights["digits", "TSNE", 2, 0] < weights["digits", "AutoEncoder", 2, 0]
    measured = {("digits", "AutoEncoder", 2): 40.0}
    weights = row_weights(keys, methods, quick=False, reference=measured)
    # The committed time stands for every seed's fit of the row.
    for seed in (0, 1):
        assert weights["digits", "AutoEncoder", 2, seed] == 40.0 + ROW_OVERHEAD_SECONDS


def test_fits_give_every_seed_only_to_stochastic_2d_rows_of_the_spread():
    from benchmarks._evaluate import fits

    methods = available_methods(include_umap=False)
    tasks = [
        ("swiss_roll", 2, ["Isomap", "AutoEncoder"]),
        ("mnist", 2, ["AutoEncoder"]),
        ("digits", 10, ["AutoEncoder"]),
    ]
    keys = fits(tasks, methods, seeds=(0, 1, 2), spread=("swiss_roll", "digits"))
    assert keys == [
        ("swiss_roll", "Isomap", 2, 0),
        ("swiss_roll", "AutoEncoder", 2, 0),
        # Isomap takes no seed: fitted once.
        ("swiss_roll", "AutoEncoder", 2, 1),
        ("swiss_roll", "AutoEncoder", 2, 2),
        # MNIST is not in the spread; compression rows never are.
        ("mnist", "AutoEncoder", 2, 0),
        ("digits", "AutoEncoder", 10, 0),
    ]


def test_quick_run_with_two_seeds_reports_the_spread(tmp_path, capsys):
    rows = _quick_run(tmp_path, ["PCA", "Isomap", "AutoEncoder"], "--seeds", "0", "1")
    out = capsys.readouterr().out
    # Before it starts: where it writes and how long it should take.
    assert f"Writing to {tmp_path.resolve()}/" in out and "expected to take" in out
    seeded = {(r["dataset"], r["method"], r["n_components"], r["seed"]) for r in rows}
    assert ("swiss_roll", "AutoEncoder", "2", "1") in seeded
    assert ("digits", "AutoEncoder", "2", "1") in seeded
    assert ("digits", "AutoEncoder", "10", "1") not in seeded
    assert ("swiss_roll", "Isomap", "2", "1") not in seeded
    report = (tmp_path / "results.md").read_text()
    section = report[report.index("## digits, 2-D") : report.index("## digits, 10-D")]
    assert "Seed spread" in section
    line = next(x for x in section.splitlines() if x.startswith("| AutoEncoder | 2 |"))
    # median (low-high) of the 5-NN accuracy, the median inside its range.
    cell = line.split("|")[5].strip()
    median, low, high = (
        float(v)
        for v in cell.replace("(", " ").replace(")", "").replace("-", " ").split()
    )
    assert low <= median <= high and low < high
    # The main table is seed 0's: the same figures as a one-seed run.
    main_table = section[: section.index("Seed spread")]
    seed0 = next(
        r for r in rows if r["method"] == "AutoEncoder" and r["dataset"] == "digits"
    )
    assert f"{float(seed0['knn_accuracy']):.3f}" in main_table
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["seeds"] == [0, 1] and run["spread_datasets"] == ["swiss_roll", "digits"]


def quick_manifold_study(tmp_path, *arguments):
    """``benchmarks.manifold.main`` on 200 points, seed 0, quick settings."""
    from benchmarks import manifold

    return manifold.main(
        [
            *("--quick", "--seeds", "0", "--n-samples", "200", "--device", "cpu"),
            *("--output", str(tmp_path), *arguments),
        ]
    )


@pytest.mark.slow
def test_manifold_study_writes_its_targets(tmp_path):
    summary, checks = quick_manifold_study(tmp_path, "--datasets", "swiss_roll")
    page = (tmp_path / "manifold.md").read_text()
    assert "## Targets" in page and (tmp_path / "manifold.png").exists()
    methods = {row["method"] for row in summary}
    assert "ManifoldAutoEncoder-teacher" in methods and "Isomap" in methods
    assert any("swiss_roll" in target for target, *_ in checks)


def test_streaming_smoke_run_measures_both_ways():
    from benchmarks.streaming import main as streaming_main

    results = streaming_main(["--rows", "2000", "--features", "8", "--repeats", "1"])
    assert len(results) == 2
    for runs in results.values():
        (peak_mb, seconds), *_ = runs
        assert seconds > 0
        assert peak_mb >= 0 or np.isnan(peak_mb)


def test_million_seeds_smoke_run_compares_the_sizes_and_a_second_sample(tmp_path):
    from benchmarks.million_seeds import main as million_seeds_main

    arguments = ["--sizes", "300", "200", "--max-iter", "2", "--output", str(tmp_path)]
    records = million_seeds_main([*arguments, "--seeds", "0", "1"])
    assert [(r["seed"], r["n_samples"], r["offset"]) for r in records] == [
        (0, 200, 0),
        (0, 300, 0),
        (0, 200, 200),
        (1, 200, 0),
        (1, 300, 0),
        (1, 200, 200),
    ]
    assert all(r["error"] > 0 and r["n_updates"] > 0 for r in records)
    page = (tmp_path / "million_seeds.md").read_text()
    assert "| 300 | 2 |" in page
    assert "| 200 (rows 201-400) | 2 |" in page
    assert (tmp_path / "million_seeds.png").stat().st_size > 1000
    for rows, offset in ((300, 0), (200, 200)):
        other = [
            r["error"]
            for r in records
            if (r["n_samples"], r["offset"]) == (rows, offset)
        ]
        first = [
            r["error"] for r in records if (r["n_samples"], r["offset"]) == (200, 0)
        ]
        no_worse = sum(b <= a for a, b in zip(first, other, strict=True))
        assert f"against 200: no worse for {no_worse} of 2 seeds" in page


def test_million_seeds_resume_keeps_the_fits_made_and_adds_the_missing(tmp_path):
    from benchmarks.million_seeds import main as million_seeds_main
    from benchmarks.million_seeds import read_records

    arguments = ["--sizes", "300", "200", "--max-iter", "2", "--output", str(tmp_path)]
    arguments += ["--no-control"]
    first = million_seeds_main([*arguments, "--seeds", "0"])
    both = million_seeds_main([*arguments, "--seeds", "0", "1", "--resume"])
    assert [(r["seed"], r["n_samples"]) for r in both] == [
        (0, 200),
        (0, 300),
        (1, 200),
        (1, 300),
    ]
    # Seed 0's fits are read back, not made again: their timings are kept.
    assert [r["fit_seconds"] for r in both[:2]] == [r["fit_seconds"] for r in first]
    page = (tmp_path / "million_seeds.md").read_text()
    assert "2 of the 4 fits were made by this run" in page
    # Fits of other settings are made again, and the file keeps the others.
    other = million_seeds_main(
        [*arguments[:4], "3", *arguments[5:], "--seeds", "1", "--resume"]
    )
    assert [r["fit_seconds"] for r in other] != [r["fit_seconds"] for r in both[2:]]
    assert all(r["max_iter"] == 3 for r in other)
    assert len(read_records(tmp_path / "million_seeds.csv")) == 6
    # So are fits of another schedule, which the page names.
    cosine = million_seeds_main(
        [*arguments, "--seeds", "1", "--resume", "--learning-rate", "cosine"]
    )
    assert [r["learning_rate"] for r in cosine] == ["cosine", "cosine"]
    assert [r["fit_seconds"] for r in cosine] != [r["fit_seconds"] for r in both[2:]]
    assert len(read_records(tmp_path / "million_seeds.csv")) == 8
    page = (tmp_path / "million_seeds.md").read_text()
    assert 'random_state=seed, learning_rate="cosine")`' in page
    fresh = million_seeds_main([*arguments, "--seeds", "1"])
    assert [(r["seed"], r["n_samples"]) for r in fresh] == [(1, 200), (1, 300)]
    assert [r["learning_rate"] for r in fresh] == ["auto", "auto"]
    assert len(read_records(tmp_path / "million_seeds.csv")) == 2


def test_run_json_names_the_code_the_run_started_with(tmp_path, monkeypatch):
    import benchmarks._provenance as provenance_module

    # The output folder is tracked (docs/benchmarks): once the run writes
    # a file there, the tree looks dirty to git.
    monkeypatch.setattr(
        provenance_module,
        "git_state",
        lambda: {"commit": "a" * 40, "dirty": any(tmp_path.iterdir())},
    )
    _quick_run(tmp_path, ["PCA"])
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["dirty"] is False
    assert "uncommitted" not in (tmp_path / "results.md").read_text()


def test_manifold_study_runs_a_named_variant_on_every_data_set(tmp_path):
    summary, _ = quick_manifold_study(
        tmp_path,
        "--datasets",
        "swiss_roll",
        "digits",
        "--methods",
        "ManifoldAutoEncoder-constant",
    )
    ran = {(row["dataset"], row["method"]) for row in summary}
    assert ran == {
        ("swiss_roll", "ManifoldAutoEncoder-constant"),
        ("digits", "ManifoldAutoEncoder-constant"),
    }


def test_generalisation_measures_training_and_held_out_codes(capsys):
    from benchmarks.generalisation import main, training_codes

    results = main(
        [
            *("--dataset", "digits", "--n-samples", "300", "--quick"),
            *("--splits", "0", "3", "--sample", "100"),
            *("--methods", "ManifoldAutoEncoder", "PCA"),
        ]
    )
    assert [(r["split"], r["method"]) for r in results] == [
        (0, "ManifoldAutoEncoder"),
        (0, "PCA"),
        (3, "ManifoldAutoEncoder"),
        (3, "PCA"),
    ]
    for result in results:
        assert 0.5 < result["train_trust"] <= 1 and 0.5 < result["test_trust"] <= 1
        assert 0 < result["test_knn"] <= 1
    # Each split holds out other rows: the figures differ.
    assert results[0]["test_trust"] != results[2]["test_trust"]
    table = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("| 3 | PCA |") for line in table) == 1
    # A fit's own layout stands for its training codes where it keeps one.
    layout = np.ones((3, 2))
    fitted = types.SimpleNamespace(embedding_=layout, transform=None)
    assert training_codes(fitted, None) is layout


def test_generalisation_refuses_unknown_methods():
    from benchmarks.generalisation import main

    with pytest.raises(SystemExit):
        main(["--methods", "NoSuchMethod"])
