"""Smoke test of the benchmark's main job (python -m benchmarks --quick)."""

import csv

from benchmarks.__main__ import main


def test_quick_run_writes_table_csv_and_figure(tmp_path):
    main(
        [
            "--quick",
            "--datasets",
            "swiss_roll",
            "digits",
            "--methods",
            "PCA",
            "AutoEncoder",
            "--n-samples",
            "200",
            "--output",
            str(tmp_path),
            "--device",
            "cpu",
        ]
    )
    with open(tmp_path / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["dataset"], r["method"]) for r in rows] == [
        ("swiss_roll", "PCA"),
        ("swiss_roll", "AutoEncoder"),
        ("digits", "PCA"),
        ("digits", "AutoEncoder"),
    ]
    for row in rows:
        assert 0 < float(row["trustworthiness"]) <= 1
        assert float(row["fit_seconds"]) >= 0
    assert rows[2]["knn_accuracy"] and not rows[0]["knn_accuracy"]
    assert rows[0]["coordinate_correlation"] and not rows[2]["coordinate_correlation"]
    assert "| swiss_roll | AutoEncoder |" in (tmp_path / "results.md").read_text()
    assert (tmp_path / "embeddings.png").stat().st_size > 1000
    assert (tmp_path / "run.json").exists()
