"""Tests of ManifoldAutoEncoder and its neighbour graph."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import make_swiss_roll
from sklearn.decomposition import PCA
from sklearn.manifold import Isomap
from sklearn.model_selection import GridSearchCV

from sklearn_ae import AutoEncoder, ManifoldAutoEncoder
from sklearn_ae._graph import (
    fuzzy_weights,
    intrinsic_dimension,
    nearest_neighbors,
    padded_rows,
    perplexity_weights,
    symmetrise,
)
from sklearn_ae._layout import umap_layout
from sklearn_ae.metrics import coordinate_correlation, knn_accuracy, trustworthiness

FAST = {"random_state": 0, "device": "cpu", "hidden_layer_sizes": (64, 32)}


@pytest.fixture(scope="module")
def roll():
    # Dense enough that 10 neighbours never bridge two turns of the roll
    # (with 800 points and 15 neighbours, Isomap itself fails).
    X, t = make_swiss_roll(1000, random_state=0)
    return X[:750], X[750:], t[750:]


@pytest.mark.slow
def test_isomap_geometry_unrolls_the_swiss_roll(roll):
    X_train, X_test, t_test = roll
    params = {**FAST, "max_iter": 60, "n_iter_no_change": None}
    model = ManifoldAutoEncoder(geometry="isomap", n_neighbors=10, **params)
    model.fit(X_train)
    plain = AutoEncoder(**params).fit(X_train)
    unrolled = coordinate_correlation(model.transform(X_test), t_test)
    folded = coordinate_correlation(plain.transform(X_test), t_test)
    assert unrolled > 0.95, unrolled
    assert unrolled > folded + 0.3, (unrolled, folded)
    # The codes' axes are principal axes: the first carries the most variance.
    codes = model.transform(X_train)
    assert codes[:, 0].var() >= codes[:, 1].var()
    np.testing.assert_allclose(np.corrcoef(codes.T)[0, 1], 0, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("geometry", ["umap", "tsne"])
def test_neighbour_geometry_keeps_neighbours_better_than_a_plain_ae(digits, geometry):
    """Same network, seed and optimiser: only the geometry term differs.

    Measured on digits with this setting (held-out trustworthiness and 5-NN
    accuracy over the plain autoencoder's). UMAP, seeds 0 and 1: trust
    +0.006 to +0.008, 5-NN +0.02 to +0.05. t-SNE (its defaults: 90
    neighbours, weight 10): seeds 0 and 1 on this split, +0.003 and +0.007,
    5-NN +0.022 and +0.065; on three other splits and seeds, +0.004 to
    +0.014 and +0.041 to +0.065. On the small swiss roll of the tests above
    neither does: they tear the sheet into patches.
    """
    X_train, X_test, y_train, y_test = digits
    params = {
        "random_state": 0,
        "device": "cpu",
        "hidden_layer_sizes": (128, 64),
        "max_iter": 40,
        "n_iter_no_change": None,
        "learning_rate_init": 3e-3,
        "weight_decay": 0.0,
    }
    scores = {}
    for name, model in {
        geometry: ManifoldAutoEncoder(geometry=geometry, **params),
        "plain": AutoEncoder(**params),
    }.items():
        Z_test = model.fit(X_train).transform(X_test)
        Z_train = model.transform(X_train)
        scores[name] = (
            trustworthiness(X_test, Z_test),
            knn_accuracy(Z_train, y_train, Z_test, y_test),
        )
    assert scores[geometry][0] > scores["plain"][0], scores
    assert scores[geometry][1] > scores["plain"][1], scores
    curve = model.loss_terms_["reconstruction"]
    assert np.all(np.isfinite(curve))


def _tsne_term_on(X, n_neighbors=5):
    """A t-SNE term attached to the rows X, with a small module to encode them."""
    import torch

    from sklearn_ae._geometry import TSNEGeometry
    from sklearn_ae._modules import AutoEncoderModule
    from sklearn_ae._rows import RowDataset

    n_features = X.shape[1]
    term = TSNEGeometry(n_neighbors, "exact", 0, perplexity=2.0)
    train = RowDataset(torch.as_tensor(X))
    term.attach(train)
    module = AutoEncoderModule(
        n_features,
        2,
        (8,),
        "relu",
        "mse",
        torch.zeros(n_features),
        torch.ones(n_features),
    )
    return term, train, module


def test_tsne_term_attracts_drawn_edges_and_repels_the_batch():
    """The t-SNE term against a direct computation from the same draws."""
    import torch

    X = np.random.default_rng(0).normal(size=(300, 4)).astype(np.float32)
    term, train, module = _tsne_term_on(X)
    rows = torch.arange(6)
    _check_drawn_edges_and_kernel(term, train, module, rows)
    # A batch of 300 rows and 1,200 neighbours: its kernel is summed in chunks.
    _check_drawn_edges_and_kernel(term, train, module, torch.arange(300))
    term.release()


def _check_drawn_edges_and_kernel(term, train, module, rows):
    import torch

    n = len(rows)
    with torch.no_grad():
        code = module.encode(train.inputs[rows])
        value = term._loss(code, rows, module, torch.Generator().manual_seed(0))
        partners = term._neighbours(rows, torch.Generator().manual_seed(0), 4)
        codes = module.encode(train.inputs[torch.cat([rows, partners])]).numpy()
    # Each row's four drawn neighbours are edges of the graph.
    indices = term.neighbor_indices.numpy()
    weights = term.neighbor_weights.numpy()
    for row, partner in zip(np.tile(rows.numpy(), 4), partners.numpy(), strict=True):
        assert weights[row][indices[row] == partner].sum() > 0
    codes = codes.astype(np.float64)
    anchors, drawn = np.tile(codes[:n], (4, 1)), codes[n:]
    attraction = np.log1p(((anchors - drawn) ** 2).sum(1)).mean()
    kernel = 1 / (1 + ((codes[:, None] - codes[None]) ** 2).sum(-1))
    off_diagonal = ~np.eye(len(codes), dtype=bool)
    expected = attraction + np.log(kernel[off_diagonal].mean())
    np.testing.assert_allclose(float(value), expected, rtol=1e-4)


def test_tsne_term_is_lower_for_codes_that_keep_the_neighbours():
    """Codes laid out as the data are better than the same codes shuffled."""
    import torch

    X = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    term, train, _ = _tsne_term_on(X, n_neighbors=15)

    class Lookup(torch.nn.Module):
        def __init__(self, order):
            super().__init__()
            self.order = order

        def encode(self, x):  # each row's code: the coordinates of row order[i]
            i = torch.cdist(x, train.inputs).argmin(dim=1)
            return train.inputs[self.order[i]]

    rows = torch.arange(200)
    shuffled = torch.as_tensor(np.random.default_rng(1).permutation(200))
    losses = {}
    for name, order in {"kept": rows, "shuffled": shuffled}.items():
        module = Lookup(order)
        code = module.encode(train.inputs)
        draws = [
            float(term._loss(code, rows, module, torch.Generator().manual_seed(seed)))
            for seed in range(5)
        ]
        losses[name] = np.mean(draws)
    assert losses["kept"] < losses["shuffled"] - 1.0, losses
    term.release()


def test_auto_neighbours_follow_the_geometry_and_the_rows(digits):
    X_train = digits[0][:300]
    fits = {
        geometry: ManifoldAutoEncoder(geometry=geometry, max_iter=1, **FAST).fit(
            X_train
        )
        for geometry in ("umap", "tsne")
    }
    assert fits["umap"].n_neighbors_ == 15
    assert fits["tsne"].n_neighbors_ == 90  # 3 x the perplexity
    # Fewer rows than the default: as many as there are others.
    few = ManifoldAutoEncoder(geometry="tsne", max_iter=1, **FAST).fit(X_train[:40])
    assert few.n_neighbors_ == 39
    assert (
        ManifoldAutoEncoder(n_neighbors=7, max_iter=1, **FAST).fit(X_train).n_neighbors_
        == 7
    )


def test_a_refit_with_another_kind_of_geometry_drops_the_old_attributes(roll):
    X_train = roll[0][:200]
    model = ManifoldAutoEncoder(max_iter=1, **FAST).fit(X_train)
    assert hasattr(model, "intrinsic_dimension_")
    model.set_params(geometry=PCA(n_components=2)).fit(X_train)
    assert not hasattr(model, "n_neighbors_")
    assert not hasattr(model, "intrinsic_dimension_")
    assert hasattr(model, "teacher_") and model.geometry_ == "teacher"
    model.set_params(geometry="umap").fit(X_train)
    assert model.n_neighbors_ == 15 and model.geometry_ == "umap"
    assert not hasattr(model, "teacher_") and not hasattr(model, "teacher_seconds_")


def test_intrinsic_dimension_of_known_manifolds():
    rng = np.random.default_rng(0)
    flat = rng.normal(size=(1500, 2)) @ rng.normal(size=(2, 10))  # a plane in 10-D
    assert abs(intrinsic_dimension(flat) - 2) < 0.2
    cube = rng.uniform(size=(1500, 6))
    assert abs(intrinsic_dimension(cube) - 6) < 1
    # Duplicated rows (distance 0 to a neighbour) are skipped, not infinite.
    assert abs(intrinsic_dimension(np.vstack([flat, flat[:100]])) - 2) < 0.2
    assert np.isnan(intrinsic_dimension(np.zeros((50, 3))))
    # Reading every k-th row of many: about the same estimate.
    many = rng.normal(size=(6000, 3))
    assert abs(intrinsic_dimension(many, max_rows=1000) - 3) < 0.3


def test_auto_geometry_unrolls_sheets_and_keeps_clusters_of_images(roll, digits):
    """geometry="auto" is the geometry it chose, on the same seed, exactly."""
    X_roll, X_digits = roll[0][:300], digits[0][:300]
    params = {"max_iter": 2, **FAST}
    for X, chosen in ((X_roll, "isomap"), (X_digits, "layout")):
        auto = ManifoldAutoEncoder(**params).fit(X)
        assert auto.geometry_ == chosen
        same = ManifoldAutoEncoder(geometry=chosen, **params).fit(X)
        np.testing.assert_array_equal(auto.transform(X), same.transform(X))
        assert same.geometry_ == chosen and not hasattr(same, "intrinsic_dimension_")
    assert ManifoldAutoEncoder(**params).fit(X_roll).intrinsic_dimension_ < 2.5
    assert ManifoldAutoEncoder(**params).fit(X_digits).intrinsic_dimension_ > 5
    # A 1-D code holds a curve, not a sheet.
    one = ManifoldAutoEncoder(1, **params).fit(X_roll)
    assert one.geometry_ == "layout"


def test_auto_geometry_takes_sampled_edges_above_the_layout_limit(digits, monkeypatch):
    import sklearn_ae._manifold as manifold

    X_train = digits[0][:300]
    monkeypatch.setattr(manifold, "MAX_LAYOUT_ROWS", 299)
    model = ManifoldAutoEncoder(max_iter=1, **FAST).fit(X_train)
    assert model.geometry_ == "umap" and model.intrinsic_dimension_ > 5
    model.set_params(early_stopping=True).fit(X_train)
    assert model.geometry_ == "layout"


def test_auto_geometry_keeps_geodesics_above_the_layout_limit(roll, monkeypatch):
    import sklearn_ae._manifold as manifold

    monkeypatch.setattr(manifold, "MAX_LAYOUT_ROWS", 299)
    model = ManifoldAutoEncoder(max_iter=1, **FAST).fit(roll[0][:300])
    assert model.geometry_ == "isomap" and model.intrinsic_dimension_ < 2.5


@pytest.fixture
def landmark_graphs(monkeypatch):
    """Isomap's landmarks capped at 200; each fit's graph is recorded."""
    import sklearn_ae._geometry as geometry

    monkeypatch.setattr(geometry, "GEODESIC_LANDMARKS", 200)
    graphs = []
    build = geometry.IsomapGeometry._build

    def recorded(term, indices, distances, device):
        build(term, indices, distances, device)
        landmarks = None if term.landmarks is None else term.landmarks.clone()
        graphs.append((len(indices), tuple(term.geodesic.shape), landmarks))

    monkeypatch.setattr(geometry.IsomapGeometry, "_build", recorded)
    return graphs


def test_isomap_geometry_holds_landmark_geodesics_of_many_rows(roll, landmark_graphs):
    X_train = roll[0]
    params = {**FAST, "geometry": "isomap", "n_neighbors": 10, "max_iter": 2}
    first = ManifoldAutoEncoder(**params).fit(X_train)
    again = ManifoldAutoEncoder(**params).fit(X_train)
    few = ManifoldAutoEncoder(**params).fit(X_train[:150])
    (n_graph, shape, landmarks), repeat, (n_few, few_shape, none) = landmark_graphs
    assert n_graph == 200 and shape == (200, 200)
    assert len(landmarks.unique()) == 200 and landmarks.max() < len(X_train)
    assert torch.equal(landmarks, repeat[2])
    np.testing.assert_array_equal(first.transform(X_train), again.transform(X_train))
    # Fewer rows than landmarks: every row's geodesics, as before.
    assert n_few == 150 and few_shape == (150, 150) and none is None
    assert first.n_neighbors_ == 10 and few.n_neighbors_ == 10
    # Another seed draws other landmarks.
    ManifoldAutoEncoder(**{**params, "random_state": 1}).fit(X_train)
    assert not torch.equal(landmarks, landmark_graphs[-1][2])


def test_neighbours_beyond_the_landmarks_are_refused(roll, landmark_graphs):
    params = {**FAST, "geometry": "isomap", "max_iter": 1}
    model = ManifoldAutoEncoder(n_neighbors=200, **params)
    with pytest.raises(ValueError, match="in the graph \\(200\\)"):
        model.fit(roll[0])
    assert not hasattr(model, "net_") and not landmark_graphs
    # Fewer neighbours than landmarks: the graph is built among the 200.
    model.set_params(n_neighbors=150).fit(roll[0])
    assert model.n_neighbors_ == 150 and landmark_graphs[0][:2] == (200, (200, 200))


def test_isomap_landmarks_train_the_codes_of_other_rows(roll, landmark_graphs):
    """The batch's rows take no part in the term: only drawn landmarks do."""
    import sklearn_ae._geometry as geometry

    X_train = roll[0]
    params = {**FAST, "geometry": "isomap", "n_neighbors": 10, "max_iter": 1}
    model = ManifoldAutoEncoder(**params).fit(X_train)
    term = geometry.IsomapGeometry(10, "exact", 0)
    term.landmarks = torch.arange(200)
    term.geodesic = torch.rand(200, 200)
    term.data = torch.as_tensor(X_train, dtype=torch.float32)
    module = model.net_.module_
    code = module.encode(term.data[:64])
    generator = torch.Generator().manual_seed(0)
    loss = term._loss(code, torch.arange(64), module, generator)
    by_batch, *by_weights = torch.autograd.grad(
        loss, [code, *module.encoder.parameters()], allow_unused=True
    )
    assert torch.isfinite(loss) and by_batch is None
    assert all(g is not None and g.abs().sum() > 0 for g in by_weights)


@pytest.mark.slow
def test_isomap_landmarks_unroll_a_larger_swiss_roll(landmark_graphs, monkeypatch):
    import sklearn_ae._geometry as geometry

    # As dense as the roll fixture's 750 rows, which Isomap unrolls.
    monkeypatch.setattr(geometry, "GEODESIC_LANDMARKS", 1000)
    X, t = make_swiss_roll(3000, random_state=0)
    params = {**FAST, "max_iter": 40, "n_iter_no_change": None}
    model = ManifoldAutoEncoder(n_neighbors=10, **params).fit(X[:2500])
    plain = AutoEncoder(**params).fit(X[:2500])
    assert model.geometry_ == "isomap" and landmark_graphs[0][1] == (1000, 1000)
    unrolled = coordinate_correlation(model.transform(X[2500:]), t[2500:])
    folded = coordinate_correlation(plain.transform(X[2500:]), t[2500:])
    assert unrolled > 0.95 and unrolled > folded + 0.3, (unrolled, folded)


def test_teacher_codes_follow_its_embedding(roll):
    X_train, _, _ = roll
    teacher = Isomap(n_neighbors=10, n_components=2)
    model = ManifoldAutoEncoder(
        geometry=teacher, max_iter=40, n_iter_no_change=None, **FAST
    ).fit(X_train)
    assert model.teacher_ is not teacher
    embedding = model.teacher_.embedding_
    codes = model.transform(X_train)
    # The same 2-D layout up to a linear map: a least-squares fit explains it.
    design = np.column_stack([codes, np.ones(len(codes))])
    fitted, *_ = np.linalg.lstsq(design, embedding, rcond=None)
    residual = embedding - design @ fitted
    assert residual.var() / embedding.var() < 0.05
    assert model.graph_seconds_ == 0.0 and model.teacher_seconds_ > 0


def test_teacher_of_the_wrong_width_is_refused(roll):
    model = ManifoldAutoEncoder(geometry=PCA(n_components=3), max_iter=1, **FAST)
    with pytest.raises(ValueError, match="n_components=2"):
        model.fit(roll[0])


def test_geometry_must_be_known_or_have_fit_transform(roll):
    with pytest.raises(ValueError, match="geometry"):
        ManifoldAutoEncoder(geometry="spectral", **FAST).fit(roll[0])
    with pytest.raises(ValueError, match="geometry"):
        ManifoldAutoEncoder(geometry=object(), **FAST).fit(roll[0])


def test_too_many_neighbours_is_refused():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="n_neighbors=20 must be below"):
        ManifoldAutoEncoder(n_neighbors=20, **FAST).fit(X)


def test_graph_memory_is_linear_in_rows_times_neighbours():
    X = np.random.default_rng(0).normal(size=(500, 5))
    indices, distances = nearest_neighbors(X, 10, method="exact")
    assert indices.shape == distances.shape == (500, 10)
    assert not np.any(indices == np.arange(500)[:, None])
    graph = symmetrise(indices, fuzzy_weights(distances), "fuzzy_union")
    padded, weights = padded_rows(graph, 20)
    assert padded.shape == weights.shape == (500, 20)
    # Every kept edge is an edge of the graph, heaviest first.
    for row in (0, 17, 499):
        kept = weights[row] > 0
        np.testing.assert_allclose(
            weights[row][kept], graph[row, padded[row][kept]].toarray().ravel()
        )
        assert np.all(np.diff(weights[row][kept]) <= 0)


def test_umap_weights_sum_to_log2_k_and_perplexity_is_met():
    distances = np.sort(np.random.default_rng(0).uniform(1, 3, size=(50, 15)), 1)
    strengths = fuzzy_weights(distances)
    np.testing.assert_allclose(strengths.sum(1), np.log2(15), rtol=1e-4)
    assert np.all(strengths[:, 0] == 1.0)
    p = perplexity_weights(distances, perplexity=5.0)
    entropy = -(p * np.log(p)).sum(1)
    np.testing.assert_allclose(np.exp(entropy), 5.0, rtol=1e-3)


@pytest.mark.parametrize("geometry", ["umap", "isomap"])
def test_fitted_model_keeps_no_training_rows(roll, geometry):
    X_train = roll[0]
    params = {"geometry": geometry, "max_iter": 2, **FAST}
    small = ManifoldAutoEncoder(**params).fit(X_train[:200])
    large = ManifoldAutoEncoder(**params).fit(X_train)
    assert abs(len(pickle.dumps(large)) - len(pickle.dumps(small))) < 4000
    term = large.net_.criterion_.terms()[1]
    assert term.data is None
    for name in ("neighbor_indices", "neighbor_weights", "geodesic"):
        assert getattr(term, name, None) is None


def test_grid_search_over_the_geometry(roll):
    X_train = roll[0][:300]
    search = GridSearchCV(
        ManifoldAutoEncoder(max_iter=3, **FAST),
        {
            "geometry": ["umap", "isomap"],
            "geometry_weight": [1.0, 10.0],
            "n_neighbors": [5, 10],
        },
        cv=2,
    ).fit(X_train)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.n_neighbors in (5, 10)


def test_same_seed_same_codes(roll):
    X_train = roll[0][:300]
    first = ManifoldAutoEncoder(max_iter=3, **FAST).fit(X_train).transform(X_train)
    again = ManifoldAutoEncoder(max_iter=3, **FAST).fit(X_train).transform(X_train)
    np.testing.assert_array_equal(first, again)


class _NaNTeacher(TransformerMixin, BaseEstimator):
    def fit_transform(self, X, y=None):
        embedding = PCA(n_components=2).fit_transform(X)
        embedding[0, 0] = np.nan
        return embedding


def test_a_teacher_embedding_with_nan_is_reported_as_the_teachers(roll):
    model = ManifoldAutoEncoder(geometry=_NaNTeacher(), max_iter=2, **FAST)
    with pytest.raises(ValueError, match="teacher _NaNTeacher embedded X with non"):
        model.fit(roll[0][:200])
    assert not hasattr(model, "net_")


def test_save_and_load_keep_the_chosen_geometry(roll, tmp_path):
    from sklearn_ae import load, save

    X_train = roll[0][:200]
    model = ManifoldAutoEncoder(max_iter=1, **FAST).fit(X_train)
    save(model, tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    assert loaded.geometry_ == "isomap"
    assert loaded.intrinsic_dimension_ == model.intrinsic_dimension_
    np.testing.assert_array_equal(loaded.transform(X_train), model.transform(X_train))


def test_umap_layout_keeps_neighbours_and_is_reproducible(digits):
    """The free-point layout alone: what geometry="layout" regresses onto."""
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    X_train, _, y_train, _ = digits
    indices, distances = nearest_neighbors(X_train, 15, method="exact")
    graph = symmetrise(indices, fuzzy_weights(distances), "fuzzy_union")
    layout = umap_layout(graph, 2, n_epochs=100, random_state=0)
    assert layout.shape == (len(X_train), 2) and np.isfinite(layout).all()
    # Measured: 0.96; PCA's 2-D codes of the same rows 0.60.
    knn = KNeighborsClassifier(5)
    assert cross_val_score(knn, layout, y_train, cv=3).mean() > 0.9
    np.testing.assert_array_equal(
        layout, umap_layout(graph, 2, n_epochs=100, random_state=0)
    )
    # Too few rows for the spectral start: a random one.
    tiny = symmetrise(indices[:3, :2] % 3, np.ones((3, 2)), "fuzzy_union")
    assert umap_layout(tiny, 2, n_epochs=5).shape == (3, 2)


def test_umap_layout_epochs_follow_umap_learn():
    from sklearn_ae._layout import default_epochs

    assert default_epochs(4000) == 500 and default_epochs(10_000) == 500
    assert default_epochs(10_001) == 200


@pytest.mark.slow
def test_umap_layout_in_parts_settles_mnist_better_than_all_at_once():
    """The lever of issue 25's second design, on the data it was measured on.

    MNIST-5k's training rows (the benchmark's stratified split, PCA-50 as
    geometry="layout" builds its graph), layout seeds 0-2. The mean
    cross-validated 5-NN accuracy of their layouts, printed with ``-s``.
    The layout's figures move with the CPU (a chaotic SGD, whose arithmetic
    rounds differently on another one). On an Intel Xeon, medians of the
    three seeds: 0.933 (0.925-0.934) in parts of 1,600 edges (16 an epoch)
    against 0.902 (0.901-0.911) with an epoch's edges all at once. On an
    AMD EPYC, one torch thread: 0.914, 0.931, 0.914 against 0.903, 0.915,
    0.915 (+0.009 on the mean; seeds 3 and 4, two threads, 0.929 and 0.923
    against 0.913 and 0.894). umap-learn's layout of the same rows scores
    0.931-0.935 (umap-learn is not needed here). This test once read seed 0
    alone against the Intel figures (above 0.92, by 0.01): the margin it
    asks now is the one that holds on both machines.
    """
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    from benchmarks._protocol import load, split

    data = load("mnist")
    train, _ = split(len(data.data), stratify=data.target)
    X, y = data.data[train], data.target[train]
    X = PCA(50, random_state=0).fit_transform(X)
    indices, distances = nearest_neighbors(X, 15, random_state=0)
    graph = symmetrise(indices, fuzzy_weights(distances), "fuzzy_union")
    scores = {
        size: [
            cross_val_score(
                KNeighborsClassifier(5),
                umap_layout(graph, 2, edges_per_part=size, random_state=seed),
                y,
                cv=5,
            ).mean()
            for seed in (0, 1, 2)
        ]
        for size in (1600, None)
    }
    parts, at_once = np.mean(scores[1600]), np.mean(scores[None])
    print(f"layout 5-NN: in parts {scores[1600]}, at once {scores[None]}")
    assert parts > 0.91 and parts > at_once + 0.005, (parts, at_once)


def test_layout_geometry_anneals_over_a_fixed_budget(digits):
    """learning_rate="auto" anneals the layout's regression; other terms do not."""
    X_train = digits[0][:200]
    model = ManifoldAutoEncoder(geometry="layout", max_iter=60, **FAST).fit(X_train)
    # Every iteration trained whatever the training loss does, the rate
    # annealed to about zero: 4 batches a pass would need 788 passes for
    # the term's 3,150 updates, so max_iter bounds the budget.
    assert model.n_iter_ == 60
    rates = model.net_.history[:, "lr"]
    assert (
        rates[0] == pytest.approx(model.learning_rate_init)
        and rates[-1] < 0.01 * rates[0]
    )
    # "umap" keeps the constant rate and the patience rule.
    umap = ManifoldAutoEncoder(geometry="umap", max_iter=3, **FAST).fit(X_train)
    assert "lr" not in umap.net_.history[-1]
    explicit = ManifoldAutoEncoder(
        geometry="layout", learning_rate="constant", max_iter=3, **FAST
    ).fit(X_train)
    assert explicit.n_iter_ == 3 and "lr" not in explicit.net_.history[-1]
    # Rows enough for 63 batches a pass: 50 passes hold the 3,150 updates.
    assert model._training_settings().for_pass(
        63, anneal=True, min_updates=3150
    ).max_iter == min(model.max_iter, 50)


def test_layout_geometry_codes_follow_the_layout_from_noisy_inputs(digits):
    X_train = digits[0][:400]
    params = {"max_iter": 30, "n_iter_no_change": None, **FAST}
    model = ManifoldAutoEncoder(geometry="layout", **params).fit(X_train)
    assert model.geometry_ == "layout" and model.n_neighbors_ == 15
    # input_noise="auto" corrupts the encoder's input for the layout only.
    assert model.net_.corrupt.noise_level == 0.7
    assert (
        ManifoldAutoEncoder(geometry="umap", max_iter=1, **FAST)
        .fit(X_train)
        .net_.corrupt
        is None
    )
    clean = ManifoldAutoEncoder(geometry="layout", input_noise=0.0, **params)
    assert clean.fit(X_train).net_.corrupt is None
    # The codes are the layout up to a linear map (the axes are rotated).
    term = model.net_.criterion_.terms()[1]
    assert term.target is None  # released after the fit
    # The graph's neighbours are found on 50 principal components of the
    # 64 pixels; data of at most 50 features is used as it is.
    seed = np.random.RandomState(0).randint(2**31 - 1)
    front = PCA(50, random_state=seed).fit_transform(X_train)
    np.testing.assert_allclose(term._graph_inputs(X_train), front, atol=1e-4)
    np.testing.assert_array_equal(term._graph_inputs(X_train[:, :50]), X_train[:, :50])
    indices, distances = nearest_neighbors(front, 15, method="exact")
    graph = symmetrise(indices, fuzzy_weights(distances), "fuzzy_union")
    layout = umap_layout(graph, 2, random_state=seed)
    for codes in (model.transform(X_train), clean.transform(X_train)):
        design = np.column_stack([codes, np.ones(len(codes))])
        fitted, *_ = np.linalg.lstsq(design, layout, rcond=None)
        residual = layout - design @ fitted
        assert residual.var() / layout.var() < 0.2


def test_decoder_updates_keep_the_codes_and_lower_the_reconstruction(digits):
    X_train, X_test = digits[0][:400], digits[1][:200]
    params = {"geometry": "layout", "max_iter": 20, **FAST}
    joint = ManifoldAutoEncoder(decoder_updates=0, **params).fit(X_train)
    refitted = ManifoldAutoEncoder(decoder_updates=200, **params).fit(X_train)
    assert joint.decoder_loss_curve_.shape == (0,)
    # Two updates a pass over 400 rows.
    assert refitted.decoder_loss_curve_.shape == (100,)
    # The codes are the joint training's, bit for bit.
    np.testing.assert_array_equal(refitted.transform(X_test), joint.transform(X_test))

    def error(model):
        codes = model.transform(X_test)
        return ((model.inverse_transform(codes) - X_test) ** 2).sum(axis=1).mean()

    assert error(refitted) < 0.95 * error(joint), (error(refitted), error(joint))
    again = ManifoldAutoEncoder(decoder_updates=200, **params).fit(X_train)
    codes = again.transform(X_test)
    np.testing.assert_array_equal(
        again.inverse_transform(codes), refitted.inverse_transform(codes)
    )


def test_a_refitted_learned_variance_is_recorded_and_saved(roll, tmp_path):
    from sklearn_ae import load, save

    X_train = roll[0][:300]
    params = {"max_iter": 3, "loss": "gaussian", **FAST}
    joint = ManifoldAutoEncoder(decoder_updates=0, **params).fit(X_train)
    model = ManifoldAutoEncoder(**params).fit(X_train)
    # The refit moved the variance, and the attribute says so.
    assert not np.allclose(model.noise_variance_, joint.noise_variance_)
    variance = model.net_.module_.likelihood.variance().detach().numpy()
    np.testing.assert_allclose(model.noise_variance_, variance, rtol=1e-6)
    save(model, tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    np.testing.assert_array_equal(loaded.noise_variance_, model.noise_variance_)
    np.testing.assert_array_equal(loaded.decoder_loss_curve_, model.decoder_loss_curve_)


def test_auto_decoder_updates_are_at_most_the_trainings(roll):
    X_train = roll[0][:300]
    short = ManifoldAutoEncoder(max_iter=2, batch_size=100, **FAST).fit(X_train)
    # 2 passes of 3 batches: 6 updates; the refit's 6 are 3 passes of 2
    # batches (256 rows, 44).
    assert short.n_updates_ == 6
    assert short.decoder_loss_curve_.shape == (3,)
    # 30 passes of 12 batches: 360 updates; the refit's 300 (at most) are
    # 150 passes of 2 batches.
    long = ManifoldAutoEncoder(
        max_iter=30, batch_size=25, n_iter_no_change=None, **FAST
    ).fit(X_train)
    assert long.n_updates_ == 360
    assert long.decoder_loss_curve_.shape == (150,)


def test_an_interrupted_decoder_refit_leaves_the_model_as_it_was(roll, monkeypatch):
    import sklearn_ae._manifold

    X_train = roll[0][:300]
    model = ManifoldAutoEncoder(max_iter=2, warm_start=True, **FAST).fit(X_train)
    codes = model.transform(X_train)
    decoded = model.inverse_transform(codes)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sklearn_ae._manifold, "fit_decoder", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X_train)
    np.testing.assert_array_equal(model.transform(X_train), codes)
    np.testing.assert_array_equal(model.inverse_transform(codes), decoded)
    fresh = ManifoldAutoEncoder(max_iter=2, **FAST)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X_train)
    assert not hasattr(fresh, "net_")


@pytest.fixture(scope="module")
def wide():
    """120 features that vary in 6 directions, with a little noise."""
    rng = np.random.default_rng(1)
    X = np.tanh(rng.normal(size=(240, 6))) @ rng.normal(size=(6, 120))
    return (X + rng.normal(scale=0.05, size=X.shape)).astype(np.float32)


def _outside(model, X, size=3.0):
    """X moved off the network's principal subspace, in its input units."""
    module = model.net_.module_
    basis = module.encoder[0].basis.numpy().astype(np.float64)
    axes, _ = np.linalg.qr(basis.T)
    direction = np.random.default_rng(0).normal(size=X.shape[1])
    direction -= axes @ (axes.T @ direction)
    direction *= size / np.linalg.norm(direction)
    return X + (direction * module.scale.numpy()).astype(X.dtype)


def test_wide_rows_are_read_and_written_through_their_principal_axes(wide):
    from sklearn_ae._projection import PrincipalInput, PrincipalOutput

    model = ManifoldAutoEncoder(max_iter=3, **FAST).fit(wide)
    assert model.n_principal_components_ == 50
    module = model.net_.module_
    assert isinstance(module.encoder[0], PrincipalInput)
    assert isinstance(module.decoder[-1], PrincipalOutput)
    # The encoder sees nothing outside the subspace ...
    np.testing.assert_allclose(
        model.transform(_outside(model, wide)), model.transform(wide), atol=1e-4
    )
    # ... and the decoder writes nothing outside it.
    standardised = (
        model.inverse_transform(model.transform(wide)) - module.offset.numpy()
    ) / module.scale.numpy()
    axes, _ = np.linalg.qr(module.decoder[-1].basis.numpy().T.astype(np.float64))
    centred = standardised - module.decoder[-1].mean.numpy()
    off = centred - (centred @ axes) @ axes.T
    assert np.abs(off).max() < 1e-3 * np.abs(centred).max()
    # Same seed, same subspace and codes.
    again = ManifoldAutoEncoder(max_iter=3, **FAST).fit(wide)
    np.testing.assert_array_equal(again.transform(wide), model.transform(wide))


def test_narrow_rows_or_none_read_every_feature(digits, wide):
    from sklearn_ae._projection import PrincipalInput

    narrow = ManifoldAutoEncoder(max_iter=1, **FAST).fit(digits[0][:200])
    full = ManifoldAutoEncoder(max_iter=1, principal_components=None, **FAST)
    full.fit(wide)
    for model in (narrow, full):
        assert model.n_principal_components_ == 0
        # Described as before the subspace existed: models saved then load.
        assert "principal_components" not in model._fitted_network
        assert not any(
            isinstance(step, PrincipalInput) for step in model.net_.module_.modules()
        )
    assert full.net_.module_.encoder[0].in_features == wide.shape[1]
    # Networks of the user's own at both ends: no subspace is read or written.
    own = ManifoldAutoEncoder(
        max_iter=1,
        encoder=torch.nn.Linear(wide.shape[1], 2),
        decoder=torch.nn.Linear(2, wide.shape[1]),
        **FAST,
    ).fit(wide)
    assert own.n_principal_components_ == 0


def test_principal_components_must_be_below_the_features(digits):
    model = ManifoldAutoEncoder(max_iter=1, principal_components=64, **FAST)
    with pytest.raises(ValueError, match="principal_components=64 must be below"):
        model.fit(digits[0][:100])
    assert not hasattr(model, "net_")


def test_bernoulli_decoder_writes_every_feature(digits):
    from sklearn_ae._projection import PrincipalInput

    model = ManifoldAutoEncoder(
        max_iter=1, loss="bce", principal_components=10, **FAST
    ).fit(digits[0][:200])
    module = model.net_.module_
    assert isinstance(module.encoder[0], PrincipalInput)
    assert module.decoder[-1].out_features == digits[0].shape[1]


def test_saved_pickled_and_warm_started_models_keep_the_subspace(wide, tmp_path):
    from sklearn_ae import load, save

    model = ManifoldAutoEncoder(max_iter=1, principal_components=8, **FAST).fit(wide)
    codes = model.transform(wide)
    save(model, tmp_path / "model.skae")
    for copy in (load(tmp_path / "model.skae"), pickle.loads(pickle.dumps(model))):
        assert copy.n_principal_components_ == 8
        np.testing.assert_array_equal(copy.transform(wide), codes)
        np.testing.assert_allclose(
            copy.inverse_transform(codes), model.inverse_transform(codes)
        )
    model.set_params(warm_start=True, principal_components=9)
    with pytest.raises(ValueError, match="principal_components=8"):
        model.fit(wide)
    np.testing.assert_array_equal(model.transform(wide), codes)
