"""Smoke test of the per-model figures (python -m benchmarks.models --quick)."""

import math

import pytest

from benchmarks.models import main

pytest.importorskip("matplotlib")


@pytest.mark.slow
def test_quick_run_writes_figures_and_numbers_in_range(tmp_path):
    results = main(
        [
            "--quick",
            "--n-samples",
            "300",
            "--max-iter",
            "2",
            "--output",
            str(tmp_path),
        ]
    )
    names = {path.name for path in results["figures"]}
    assert names == {"cvae_style_grid.png", "aae_codes.png", "sae_pretraining.png"}
    for name in names:
        assert (tmp_path / name).stat().st_size > 5000, name
    assert results["data"] == "digits"
    assert results["cvae_n_labels"] == 50
    for key in (
        "cvae_sample_accuracy",
        "cvae_judge_accuracy",
        "cvae_few_label_accuracy",
        "logistic_few_label_accuracy",
        "aae_component_assignment_rate",
    ):
        assert 0 <= results[key] <= 1, (key, results[key])
    # A fitted logistic regression reads real held-out digits well.
    assert results["cvae_judge_accuracy"] > 0.8
    for key in (
        "aae_gaussian_mixture_mmd_ratio",
        "aae_swiss_roll_mmd_ratio",
        "aae_gaussian_mixture_mmd_ratio_rescaled_ae",
        "aae_swiss_roll_mmd_ratio_rescaled_ae",
        "sae_error_pretrained",
        "sae_error_random_init",
        "sae_pretraining_gain",
    ):
        assert math.isfinite(results[key]), (key, results[key])
    assert results["sae_error_pretrained"] > 0
    # The importance-weighted bounds: at least the ELBO, tighter with K (up
    # to the Monte Carlo error of two epochs' model).
    bounds = [results[f"vae_iw_k{k}_nats"] for k in (2, 8, 30)]
    assert all(math.isfinite(b) for b in [results["vae_elbo_nats"], *bounds])
    assert bounds[-1] >= results["vae_elbo_nats"] - 1, (
        results["vae_elbo_nats"],
        bounds,
    )
    assert results["sae_pretraining_gain"] == pytest.approx(
        results["sae_error_random_init"] / results["sae_error_pretrained"]
    )
    page = (tmp_path / "models.md").read_text()
    assert "python -m benchmarks.models --quick" in page
    for name in names:
        assert f"]({name})" in page
    assert "| cvae few label accuracy |" in page
