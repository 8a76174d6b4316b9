"""Batch samplers: which training rows make up each batch of a shuffled pass.

A model states how its batches are composed with a sampler object
(``_batch_sampler``), not a flag: :class:`ShuffledBatches` is plain
shuffling, :class:`LabelledShare` gives rare labelled rows a fixed share of
every batch. A sampler draws only through the ``permutation`` it is given,
so the fit's generator decides every order.
"""

import math

import torch


class ShuffledBatches:
    """Every row once a pass, in a fresh random order, ``batch_size`` at a time."""

    def n_batches(self, dataset, batch_size):
        """Batches of one shuffled pass over ``dataset``."""
        return math.ceil(len(dataset) / batch_size)

    def blocks(self, dataset, batch_size, permutation):
        """Index tensors of the rows of each batch of one shuffled pass.

        ``permutation(n, device)`` draws a random order of ``n`` rows.
        """
        order = permutation(len(dataset.inputs), dataset.inputs.device)
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size]


class LabelledShare(ShuffledBatches):
    """Batches carrying a ``share`` of labelled rows while those are rarer.

    Labelled rows are those whose side data ``column`` is ``>= 0`` (-1
    marks an unlabelled row). An epoch is one pass over the unlabelled
    rows, and the labelled rows fill their share of each batch, cycling
    through them in a fresh random order on each pass. Semi-supervised
    models need it: with 100 labels in 4,000 rows, plain shuffling gives
    about three labelled rows per batch of 128, too few to train on. With no
    labelled row, or labelled rows at least ``share`` of all, batches are
    plainly shuffled.
    """

    def __init__(self, share, column="labels"):
        self.share = share
        self.column = column

    def _balanced_rows(self, dataset, batch_size):
        """``(unlabelled_rows, labelled_rows, n_labelled_per_batch)`` or None."""
        labels = dataset.side.get(self.column)
        if not self.share or labels is None:
            return None
        labelled = labels >= 0
        n, n_labelled = len(labels), int(labelled.sum())
        if n_labelled == 0 or n_labelled >= self.share * n:
            return None
        # At least one labelled and one unlabelled row in every batch.
        per_batch = min(max(1, round(self.share * batch_size)), batch_size - 1)
        if per_batch < 1:  # batch_size=1: nothing to share
            return None
        return (
            torch.nonzero(~labelled).flatten(),
            torch.nonzero(labelled).flatten(),
            per_batch,
        )

    def n_batches(self, dataset, batch_size):
        balanced = self._balanced_rows(dataset, batch_size)
        if balanced is None:
            return super().n_batches(dataset, batch_size)
        unlabelled, _, per_batch = balanced
        return math.ceil(len(unlabelled) / (batch_size - per_batch))

    def blocks(self, dataset, batch_size, permutation):
        balanced = self._balanced_rows(dataset, batch_size)
        if balanced is None:
            yield from super().blocks(dataset, batch_size, permutation)
            return
        unlabelled, labelled, per_batch = balanced
        device = dataset.inputs.device
        step = batch_size - per_batch
        n_batches = math.ceil(len(unlabelled) / step)
        # Enough passes over the labelled rows, each in a new order.
        passes = math.ceil(n_batches * per_batch / len(labelled))
        cycled = torch.cat(
            [labelled[permutation(len(labelled), device)] for _ in range(passes)]
        )
        order = unlabelled[permutation(len(unlabelled), device)]
        for b in range(n_batches):
            yield torch.cat(
                [
                    order[b * step : (b + 1) * step],
                    cycled[b * per_batch : (b + 1) * per_batch],
                ]
            )
