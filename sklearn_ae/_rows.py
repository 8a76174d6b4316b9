"""Training rows and their batches, cut from one tensor by slicing.

Batches of in-memory arrays are slices of one tensor, which avoids skorch's
per-sample ``Dataset.__getitem__`` and collation (2.1x the cost of a bare
torch loop on a small model, measured in ``benchmarks/speed.py``); every
batch carries the rows' side data by name (labels, row indices, weights:
:class:`RowDataset`). Rows too large to copy stay where they are and are
read a batch at a time (:class:`HostRows`).
"""

import itertools
import math
import mmap
from typing import NamedTuple

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from ._samplers import ShuffledBatches
from ._sparse_input import (
    column_max,
    column_min,
    column_squared_deviations,
    column_sum,
    densify,
    issparse,
)


class RowDataset(torch.utils.data.Dataset):
    """Training rows as whole tensors (possibly on the device), with side data.

    ``side`` maps a name to a tensor with one entry per row (class labels,
    row indices, sample weights, target coordinates, ...). Every named
    tensor is split, shuffled and batched with the rows, and reaches the
    module's forward pass and the objective's terms under its name, so a
    variant that needs a new per-row datum only names it.
    """

    def __init__(self, inputs, side=None):
        self.inputs = inputs
        self.side = dict(side or {})

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, i):
        # Only for tools that insist on item access; training never uses it.
        return self.inputs[i], {name: values[i] for name, values in self.side.items()}


class Batch(NamedTuple):
    """One batch: what the encoder reads, the clean target and the side data.

    ``inputs`` differs from ``target`` only under corruption (the denoising
    autoencoder's noise, applied to training batches). ``generator`` is the
    fit's torch generator, from which anything random in the batch's losses
    draws (a VAE's sample, random projections, prior draws). skorch reads
    the batch size from the first field.
    """

    inputs: torch.Tensor
    target: torch.Tensor
    side: dict
    generator: torch.Generator | None = None


# Plain shuffling, the sampler of a model that names none.
SHUFFLED = ShuffledBatches()


class TensorBatchIterator:
    """Batches as slices of a :class:`RowDataset`, shuffled with torch.

    ``corrupt``, when given, turns the clean batch into the encoder's input,
    ``corrupt(batch, generator)``, and is applied only to training batches.
    ``generator`` (a ``torch.Generator`` on the rows' device) draws the
    shuffling and the noise; each batch carries it on.

    ``max_batches``, when given, ends a shuffled pass after that many
    batches: an iteration of training on a large set is a fixed number of
    updates on rows drawn afresh without replacement, not a whole pass (see
    :data:`~sklearn_ae._settings.UPDATES_PER_ITERATION`).

    ``sampler`` composes the batches of a shuffled pass (a
    :mod:`~sklearn_ae._samplers` object; plain shuffling when None).
    Unshuffled batches are the rows in order.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        shuffle=False,
        corrupt=None,
        sampler=None,
        generator=None,
        max_batches=None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.corrupt = corrupt
        self.sampler = sampler
        self.generator = generator
        self.max_batches = max_batches

    def _permutation(self, n, device):
        return torch.randperm(n, generator=self.generator, device=device)

    def _sampler(self):
        return SHUFFLED if self.sampler is None else self.sampler

    def _row_blocks(self):
        """Index tensors (or slices) of the rows of each batch, capped."""
        if not self.shuffle:
            n = len(self.dataset.inputs)
            return (
                slice(start, start + self.batch_size)
                for start in range(0, n, self.batch_size)
            )
        blocks = self._sampler().blocks(
            self.dataset, self.batch_size, self._permutation
        )
        if self.max_batches is not None:
            blocks = itertools.islice(blocks, self.max_batches)
        return blocks

    def __len__(self):
        if not self.shuffle:
            return math.ceil(len(self.dataset) / self.batch_size)
        n_batches = self._sampler().n_batches(self.dataset, self.batch_size)
        if self.max_batches is not None:
            return min(n_batches, self.max_batches)
        return n_batches

    def __iter__(self):
        inputs, side = self.dataset.inputs, self.dataset.side
        for rows in self._row_blocks():
            target = inputs[rows]
            encoder_input = target
            if self.corrupt is not None:
                encoder_input = self.corrupt(target, self.generator)
            yield Batch(
                encoder_input,
                target,
                {name: values[rows] for name, values in side.items()},
                self.generator,
            )


def pass_batches(dataset, batch_size, sampler=None):
    """Batches of one shuffled pass over ``dataset``, before any cap.

    More than ``ceil(len(dataset) / batch_size)`` when batches carry a
    labelled share (:class:`~sklearn_ae._samplers.LabelledShare`).
    """
    iterator = TensorBatchIterator(dataset, batch_size, shuffle=True, sampler=sampler)
    return len(iterator)


# Inputs whose float32 copy would take more bytes than this stay where they
# are and reach the device a batch at a time (:class:`HostRows`); smaller
# ones are copied to the device once, which makes batches cheapest.
DEVICE_COPY_LIMIT = 2**30

# Rows per block when a statistic is computed over streamed rows.
STATISTICS_BLOCK_ROWS = 16_384


def is_memory_mapped(X):
    """Whether the array X (or an array it views) maps a file."""
    while X is not None:
        if isinstance(X, np.memmap | mmap.mmap):
            return True
        X = getattr(X, "base", None)
    return False


def streams(X):
    """Whether training reads X a batch at a time instead of copying it.

    True for sparse matrices and memory-mapped arrays (whose point is not
    to be loaded whole), and for arrays whose float32 copy would pass
    :data:`DEVICE_COPY_LIMIT`.
    """
    return (
        issparse(X)
        or is_memory_mapped(X)
        or X.shape[0] * X.shape[1] * 4 > DEVICE_COPY_LIMIT
    )


class HostRows:
    """Training rows left in a numpy array, read a batch at a time.

    Stands in for the input tensor of a :class:`RowDataset` when the data
    are too large to copy (or memory-mapped, or sparse): indexing it with a
    slice or an index tensor gathers those rows of ``array`` (of its
    ``rows``, when given) into a float32 tensor on ``device``, so a fit
    holds one batch of the input beyond the array itself. The column
    statistics the fit needs (``mean``, ``std``, ``min``, ``max`` over axis
    0, as numpy's) are computed block by block for the same reason. A
    scipy.sparse CSR ``array`` is densified one batch at a time, and its
    statistics are computed on the sparse blocks (:mod:`._sparse_input`).
    """

    def __init__(self, array, device, rows=None):
        self.array = array
        self.device = torch.device(device)
        self.rows = rows

    def __len__(self):
        return self.array.shape[0] if self.rows is None else len(self.rows)

    @property
    def shape(self):
        return (len(self), self.array.shape[1])

    def __getitem__(self, index):
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        if self.rows is not None:
            index = self.rows[index]
        # torch.tensor copies: a slice of a read-only memmap is a view.
        block = densify(self.array[index])
        return torch.tensor(block, dtype=torch.float32, device=self.device)

    def _blocks(self):
        for start in range(0, len(self), STATISTICS_BLOCK_ROWS):
            rows = slice(start, start + STATISTICS_BLOCK_ROWS)
            if self.rows is None:
                yield self.array[rows]
            else:
                yield self.array[np.sort(self.rows[rows])]

    def mean(self, axis=0, dtype=np.float64):
        total = sum(column_sum(block, dtype) for block in self._blocks())
        return total / len(self)

    def std(self, axis=0, dtype=np.float64):
        mean = self.mean(axis, dtype)
        squares = sum(
            column_squared_deviations(block, mean) for block in self._blocks()
        )
        return np.sqrt(squares / len(self))

    def min(self, axis=0, **kwargs):
        return np.min([column_min(block) for block in self._blocks()], axis=0)

    def max(self, axis=0, **kwargs):
        return np.max([column_max(block) for block in self._blocks()], axis=0)


def to_dataset(X, side, device):
    """A :class:`RowDataset` of float32 rows and their side data on ``device``.

    ``X`` is an array, copied to the device, or :class:`HostRows` or a
    sparse matrix, read a batch at a time.
    """
    if isinstance(X, HostRows):
        inputs = HostRows(X.array, device, X.rows)
    elif issparse(X):  # held-out rows of sparse X: densified a batch at a time
        inputs = HostRows(X, device)
    else:
        # torch.tensor copies: read-only (memmapped) input must not be
        # shared. ascontiguousarray: torch refuses negative strides.
        inputs = torch.tensor(
            np.ascontiguousarray(X), dtype=torch.float32, device=device
        )
    return RowDataset(
        inputs,
        {name: torch.as_tensor(values, device=device) for name, values in side.items()},
    )


# Most rows held out for early stopping, whatever validation_fraction says:
# the validation loss is computed every iteration, and 10,000 rows already
# estimate it to a fraction of a percent.
MAX_VALIDATION_ROWS = 10_000


def split_rows(X, side, seed, validation_fraction=None, streamed=False):
    """``((X_train, side_train), (X_valid, side_valid) or None)``.

    ``side`` maps names to per-row arrays, split with the rows. Without a
    ``validation_fraction`` nothing is held out. With ``streamed``,
    ``X_train`` is :class:`HostRows` over ``X``, not a copy of its rows.
    """
    if validation_fraction is None:
        return (HostRows(X, "cpu") if streamed else X, side), None
    # Beyond MAX_VALIDATION_ROWS held-out rows, each iteration's check
    # would cost ever more while its estimate hardly improves. ceil, as
    # train_test_split rounds a fractional test_size.
    n_valid = min(math.ceil(validation_fraction * X.shape[0]), MAX_VALIDATION_ROWS)
    train_rows, valid_rows = train_test_split(
        np.arange(X.shape[0]), test_size=n_valid, random_state=seed
    )
    X_train = HostRows(X, "cpu", train_rows) if streamed else X[train_rows]
    train = {name: values[train_rows] for name, values in side.items()}
    valid = {name: values[valid_rows] for name, values in side.items()}
    return (X_train, train), (X[valid_rows], valid)
