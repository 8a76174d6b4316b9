"""AdamW's multi-tensor step against its one-tensor step, by network size.

torch steps one parameter tensor at a time on the CPU unless asked for its
multi-tensor (``foreach``) step, which gives the same numbers. The loop
asks for it up to :data:`sklearn_ae._extensions.MULTI_TENSOR_MAX_WEIGHTS`
weights; this script measures where that pays. Each network is an
autoencoder MLP (``d-h-2-h-d``, ReLU) trained on uniform random rows by a
bare torch loop, one thread, the two steps alternating after a warm-up;
the figure is the ratio of the medians of CPU time per update.

Run: ``python -m benchmarks.optimizer_step`` (``--repeats``).
"""

import argparse
import copy
import itertools
import statistics
import time

import torch

# (input width, hidden layers, batch size, rows, updates per run): the speed
# benchmark's small model, the defaults on digits and MNIST, and between.
NETWORKS = [
    (3, (64, 64), 128, 20_000, 600),
    (64, (256, 128), 64, 1_400, 600),
    (784, (128,), 64, 4_000, 300),
    (784, (256, 128), 64, 4_000, 300),
    (784, (512, 256), 128, 4_000, 150),
]


def autoencoder_mlp(n_features, hidden):
    sizes = [n_features, *hidden, 2, *reversed(hidden), n_features]
    layers = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def seconds_per_update(module, X, batch_size, updates, *, foreach):
    """CPU seconds per update of a bare AdamW loop over the rows X."""
    optimizer = torch.optim.AdamW(
        module.parameters(), lr=1e-3, weight_decay=0.3, foreach=foreach
    )
    generator = torch.Generator().manual_seed(0)
    done = 0
    start = time.process_time()
    while done < updates:
        order = torch.randperm(len(X), generator=generator)
        for first in range(0, len(X), batch_size):
            batch = X[order[first : first + batch_size]]
            optimizer.zero_grad()
            loss = (module(batch) - batch).pow(2).sum(dim=1).mean()
            loss.backward()
            optimizer.step()
            loss.item()
            done += 1
            if done == updates:
                break
    return (time.process_time() - start) / updates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(
        f"torch {torch.__version__}, 1 thread, AdamW, median of {args.repeats} "
        "alternating runs, CPU ms per update"
    )
    print(
        f"{'network':<22}{'batch':>6}{'weights':>11}{'one-tensor':>12}"
        f"{'foreach':>9}{'ratio':>7}"
    )
    for n_features, hidden, batch_size, n_rows, updates in NETWORKS:
        template = autoencoder_mlp(n_features, hidden)
        X = torch.rand(n_rows, n_features)
        times = {False: [], True: []}
        for foreach in times:  # warm-up
            seconds_per_update(
                copy.deepcopy(template), X, batch_size, 50, foreach=foreach
            )
        for _ in range(args.repeats):
            for foreach, runs in times.items():
                runs.append(
                    seconds_per_update(
                        copy.deepcopy(template), X, batch_size, updates, foreach=foreach
                    )
                )
        one, multi = (statistics.median(times[f]) * 1e3 for f in (False, True))
        weights = sum(p.numel() for p in template.parameters())
        name = "-".join(map(str, (n_features, *hidden, 2)))
        print(
            f"{name:<22}{batch_size:>6}{weights:>11,}{one:>12.3f}{multi:>9.3f}"
            f"{multi / one:>7.3f}"
        )


if __name__ == "__main__":
    main()
