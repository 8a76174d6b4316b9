"""Training-loop overhead: ``AutoEncoder.fit`` against a bare torch loop.

Both train the same module from the same initial weights (a copy of the
estimator's, taken when its training begins; same batch size, same epochs,
same optimizer, AdamW with the estimator's weight decay, no early stopping,
one CPU thread each) and the bare loop does only what any
hand-written loop does: shuffle, slice, forward, loss, backward, optimizer
step, and read the loss once a batch. Two models: MNIST's 784-512-256-2,
whose steps are long, and a 3-64-64-2 on 20,000 swiss-roll points, whose
steps are short enough (about 1 ms) that any per-step overhead shows. Runs
alternate A, B, A, B after a warm-up that also pays torch's one-time
optimizer import; the figure is the ratio of the medians. On a shared
machine ``--clock cpu`` times each run's CPU time instead of its wall time:
with one thread the two agree on an idle machine, and CPU time is not
inflated by waiting for a core. The same start keeps the two runs'
arithmetic the same, so that only the loop's own work differs.

The target compares with the bare loop as written by hand, with torch's
default AdamW, which on the CPU steps one tensor at a time. The estimator
asks for AdamW's multi-tensor step (``foreach=True``, the same numbers);
the third column gives a bare loop that does too, so that the last ratio
is the loop's own cost with the optimizer's made equal.

Run: ``python -m benchmarks.speed`` (``--repeats``, ``--epochs``,
``--clock``).
"""

import argparse
import copy
import statistics
import time

import numpy as np
import torch
from skorch.callbacks import Callback

from sklearn_ae import AutoEncoder

from ._protocol import SEED, load


def squared_error_loss(output, target):
    """The AutoEncoder's training loss, written out for the bare loop.

    The negative log-likelihood of a unit-variance Gaussian decoder without
    its constant: ``0.5 * sum_j (x_j - x^_j)^2`` per sample, mean over the
    batch. The module returns its reconstruction as ``decoded``.
    """
    return 0.5 * (output.decoded - target).pow(2).sum(dim=1).mean()


class InitialModule(Callback):
    """Keeps a copy of the net's module as it is when training begins.

    The copy goes to the class attribute ``latest``: the estimator trains
    with deep copies of its callbacks, so an instance's own attributes
    would not reach the caller.
    """

    latest = None

    def on_train_begin(self, net, **kwargs):
        InitialModule.latest = copy.deepcopy(net.module_)


def bare_torch_fit(
    module, criterion, X, *, epochs, batch_size, lr, weight_decay, foreach=None
):
    """The reference: a plain torch training loop over in-memory tensors.

    ``foreach`` is AdamW's (None: torch's default, one tensor at a time on
    the CPU).
    """
    inputs = torch.as_tensor(X, dtype=torch.float32)
    optimizer = torch.optim.AdamW(
        module.parameters(), lr=lr, weight_decay=weight_decay, foreach=foreach
    )
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


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_runs(X, hidden, *, epochs, batch_size, repeats, clock=time.perf_counter):
    """Median seconds of the estimator's fit and of the two bare loops.

    ``(estimator, bare, bare with AdamW's multi-tensor step)``.
    """
    params = dict(
        n_components=2,
        hidden_layer_sizes=hidden,
        max_iter=epochs,
        batch_size=batch_size,
        n_iter_no_change=None,
        device="cpu",
        random_state=SEED,
    )
    # A fit with a callback supplies the bare loop's module as the
    # estimator starts training it: same network, same initial weights.
    reference = AutoEncoder(
        **{**params, "max_iter": 1, "callbacks": [InitialModule()]}
    ).fit(X)
    module_template = InitialModule.latest

    def run_estimator():
        start = clock()
        AutoEncoder(**params).fit(X)
        return clock() - start

    def run_bare(foreach=None):
        module = copy.deepcopy(module_template)
        start = clock()
        bare_torch_fit(
            module,
            squared_error_loss,
            X,
            epochs=epochs,
            batch_size=batch_size,
            lr=reference.learning_rate_init,
            weight_decay=reference.weight_decay,
            foreach=foreach,
        )
        return clock() - start

    runs = (run_estimator, run_bare, lambda: run_bare(foreach=True))
    times = [[] for _ in runs]
    for run in runs:  # warm-up
        run()
    for _ in range(repeats):
        for run, run_times in zip(runs, times, strict=True):
            run_times.append(run())
    return tuple(statistics.median(run_times) for run_times in times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--epochs", type=int, default=None, help="every model's (default: 10, 5)"
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args(argv)
    # One thread each: the estimator's default (sklearn_ae.set_config), and
    # the bare loop's here.
    torch.set_num_threads(1)

    X_mnist = load("mnist").data
    X_roll = load("swiss_roll", 20_000).data
    # (name, data, hidden layers, epochs, target ratio)
    cases = [
        ("MNIST-5k 784-512-256-2", X_mnist, (512, 256), 10, 1.05),
        ("swiss roll 20k 3-64-64-2", X_roll.astype(np.float32), (64, 64), 5, 1.05),
    ]
    print(
        f"torch {torch.__version__}, 1 thread, batch {args.batch_size}, "
        f"{args.clock} clock, median of {args.repeats} alternating runs"
    )
    print(
        f"{'model':<26}{'epochs':>7}{'sklearn_ae':>12}{'bare torch':>12}"
        f"{'ratio':>8}{'target':>8}{'bare, foreach':>15}{'ratio':>8}"
    )
    for name, X, hidden, epochs, target in cases:
        epochs = args.epochs or epochs
        ours, bare, bare_foreach = time_runs(
            X,
            hidden,
            epochs=epochs,
            batch_size=args.batch_size,
            repeats=args.repeats,
            clock=CLOCKS[args.clock],
        )
        print(
            f"{name:<26}{epochs:>7}{ours:>11.3f}s{bare:>11.3f}s{ours / bare:>8.3f}"
            f"{'<=' + str(target):>8}{bare_foreach:>14.3f}s"
            f"{ours / bare_foreach:>8.3f}"
        )


if __name__ == "__main__":
    main()
