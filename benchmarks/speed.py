"""Training-loop overhead: ``AutoEncoder.fit`` against a bare torch loop.

Both train the same module (a copy of the estimator's, newly initialised; same batch
size, same threads, same epochs, no early stopping) and the bare loop does
only what any hand-written loop does: shuffle, slice, forward, loss,
backward, Adam step, and read the loss once a batch. Runs alternate A, B, A,
B after a warm-up that also pays torch's one-time Adam import; the figure is
the ratio of the medians.

Run: ``python -m benchmarks.speed`` (``--repeats``, ``--epochs``).
"""

import argparse
import copy
import statistics
import time

import numpy as np
import torch

from sklearn_ae import AutoEncoder

from ._protocol import SEED, load


def squared_error_loss(output, target):
    """The AutoEncoder's training loss, written out for the bare loop.

    The negative log-likelihood of a unit-variance Gaussian decoder without
    its constant: ``0.5 * sum_j (x_j - x^_j)^2`` per sample, mean over the
    batch. The module returns its reconstruction as ``decoded``.
    """
    return 0.5 * (output.decoded - target).pow(2).sum(dim=1).mean()


def fresh_copy(module):
    """A copy of ``module`` with newly initialised weights."""
    module = copy.deepcopy(module)
    for layer in module.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()
    return module


def bare_torch_fit(module, criterion, X, *, epochs, batch_size, lr):
    """The reference: a plain torch training loop over in-memory tensors."""
    inputs = torch.as_tensor(X, dtype=torch.float32)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    module.train()
    n = len(inputs)
    for _ in range(epochs):
        order = torch.randperm(n)
        epoch_loss = 0.0
        for start in range(0, n, batch_size):
            batch = inputs[order[start : start + batch_size]]
            optimizer.zero_grad()
            loss = criterion(module(batch), batch)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * len(batch)
    return epoch_loss / n


def time_pair(X, hidden, *, epochs, batch_size, repeats):
    """Median seconds of the estimator's fit and of the bare loop."""
    params = dict(
        n_components=2,
        hidden_layer_sizes=hidden,
        max_iter=epochs,
        batch_size=batch_size,
        n_iter_no_change=None,
        device="cpu",
        random_state=SEED,
    )
    # A fitted estimator supplies the bare loop's module (its fitted
    # attribute net_ is the skorch net), so both train the same network.
    reference = AutoEncoder(**{**params, "max_iter": 1}).fit(X)
    module_template = reference.net_.module_

    def run_estimator():
        start = time.perf_counter()
        AutoEncoder(**params).fit(X)
        return time.perf_counter() - start

    def run_bare():
        module = fresh_copy(module_template)
        start = time.perf_counter()
        bare_torch_fit(
            module,
            squared_error_loss,
            X,
            epochs=epochs,
            batch_size=batch_size,
            lr=1e-3,
        )
        return time.perf_counter() - start

    run_estimator(), run_bare()  # warm-up
    estimator_times, bare_times = [], []
    for _ in range(repeats):
        estimator_times.append(run_estimator())
        bare_times.append(run_bare())
    return statistics.median(estimator_times), statistics.median(bare_times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)

    X_mnist = load("mnist").data
    X_roll = load("swiss_roll", 5000).data
    cases = [
        ("MNIST-5k 784-512-256-2", X_mnist, (512, 256), 1.10),
        ("swiss roll 5k 3-64-64-2", X_roll.astype(np.float32), (64, 64), 1.25),
    ]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{args.epochs} epochs, batch {args.batch_size}, "
        f"median of {args.repeats} alternating runs"
    )
    print(f"{'model':<26}{'sklearn_ae':>12}{'bare torch':>12}{'ratio':>8}{'target':>8}")
    for name, X, hidden, target in cases:
        ours, bare = time_pair(
            X,
            hidden,
            epochs=args.epochs,
            batch_size=args.batch_size,
            repeats=args.repeats,
        )
        print(
            f"{name:<26}{ours:>11.3f}s{bare:>11.3f}s{ours / bare:>8.3f}"
            f"{'<=' + str(target):>8}"
        )


if __name__ == "__main__":
    main()
