"""Tests of benchmarks/compare.py: two runs' quality figures, row by row."""

import csv

from benchmarks._evaluate import COLUMNS
from benchmarks.compare import compare, main


def _row(method, trust, **figures):
    return {
        "dataset": "digits",
        "method": method,
        "n_components": 2,
        "seed": 0,
        "transductive": False,
        "trustworthiness": trust,
        "fit_seconds": 1.0,
        **figures,
    }


def _write(folder, rows):
    folder.mkdir()
    with open(folder / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_compare_reports_moved_missing_and_unmatched_figures():
    before = [_row("PCA", 0.9, continuity=0.8), _row("AutoEncoder", 0.7)]
    after = [
        {**_row("PCA", 0.9, continuity=0.8), "fit_seconds": 9.0},  # times ignored
        _row("AutoEncoder", 0.71, continuity=0.5),
        _row("Isomap", 0.8),
    ]
    differences, only_before, only_after, n_compared = compare(before, after)
    key = ("digits", "AutoEncoder", 2, 0)
    assert differences == [
        (key, "trustworthiness", 0.7, 0.71),
        (key, "continuity", None, 0.5),
    ]
    assert only_before == [] and only_after == [("digits", "Isomap", 2, 0)]
    assert n_compared == 4
    differences, *_ = compare(before, after, tol=0.02)
    assert [figure for _, figure, _, _ in differences] == ["continuity"]


def test_compare_command_exits_nonzero_only_on_a_difference(tmp_path, capsys):
    same = _write(tmp_path / "a", [_row("PCA", 0.9)])
    also_same = _write(tmp_path / "b", [_row("PCA", 0.9)])
    moved = _write(tmp_path / "c", [_row("PCA", 0.95)])
    assert main([str(same), str(also_same / "results.csv")]) == 0
    assert "1 of 1 quality figures equal in every row" in capsys.readouterr().out
    assert main([str(same), str(moved)]) == 1
    out = capsys.readouterr().out
    assert "digits 2-D / PCA / seed 0: trustworthiness 0.9 -> 0.95" in out
    assert main([str(same), str(moved), "--tol", "0.1"]) == 0


def test_compare_counts_nan_in_both_runs_as_equal():
    nan = float("nan")
    differences, *_ = compare([_row("PCA", nan)], [_row("PCA", nan)])
    assert differences == []
    differences, *_ = compare([_row("PCA", nan)], [_row("PCA", 0.5)])
    assert len(differences) == 1
