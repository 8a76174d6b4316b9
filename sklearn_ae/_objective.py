"""The training objective: named loss terms, weighted and summed, in phases.

A variant declares what it minimises as named terms (reconstruction, KL,
sparsity, contraction, classification, adversarial, ...), each computed from
the same forward pass of the module; the loss is their weighted sum. A model
that needs more than one optimizer step per batch (the adversarial
autoencoder's discriminator and generator) declares further phases, each
with its terms and the parameters it updates. The training layer records
every term in the history as ``<term>_loss`` and the estimator exposes the
epoch means as ``loss_terms_``.
"""

import dataclasses
from collections.abc import Callable

import torch
from torch import nn

from ._losses import gaussian_kl
from ._sample_weight import SAMPLE_WEIGHT, weighted_mean


def batch_mean(values, output, batch):
    """Mean over a batch's rows of per-output-row ``values``, weighted.

    Each row counts with its sample weight (:func:`weighted_mean`). When
    the forward pass decoded some rows more than once (``output.rows``),
    each output row counts with its ``row_weights`` entry too, so the sum
    over a row's copies is that row's expectation.
    """
    if output.row_weights is None:
        return weighted_mean(values, batch)
    row_weights = output.row_weights
    weights = batch.side.get(SAMPLE_WEIGHT)
    if weights is not None:
        row_weights = row_weights * weights[output.rows]
    return (values * row_weights).sum() / len(batch.target)


class Term:
    """A named scalar loss term computed from a batch.

    ``__call__(output, batch, module)`` returns the term: ``output`` is the
    module's :class:`~sklearn_ae._modules.ModuleOutput` for the batch (None
    in phases after the first, whose terms run the module themselves),
    ``batch`` the :class:`~sklearn_ae._rows.Batch` with its side data.
    """

    name = "term"
    # Whether a fit under learning_rate="auto" anneals over a fixed budget
    # (TrainingSettings.for_pass) instead of a constant rate stopped by the
    # patience rule: for a term that regresses a fixed target from noisy
    # inputs, whose training loss swings from iteration to iteration so
    # that the rule stops at a random point of it.
    anneals = False
    # Updates that such a budget holds at least, however few batches a pass
    # makes (its iterations grow past ANNEALED_ITERATIONS on small data).
    annealed_updates = 0

    def __call__(self, output, batch, module):
        raise NotImplementedError

    def attach(self, train):
        """Read what the term needs from the training rows, for one fit.

        ``train`` is the :class:`~sklearn_ae._rows.RowDataset` of the
        training rows; a term may add per-row side data to it (row
        positions into a neighbour graph). Returns a dict of fitted
        attributes to record (nothing here).
        """
        return {}

    def release(self):
        """Drop what :meth:`attach` kept of the training rows."""


class Reconstruction(Term):
    """Negative log-likelihood of the clean batch under the decoder."""

    name = "reconstruction"

    def __call__(self, output, batch, module):
        target = batch.target if output.rows is None else batch.target[output.rows]
        nll = module.likelihood.nll(output.decoded, target)
        return batch_mean(nll, output, batch)


class GaussianKL(Term):
    """:math:`\\mathrm{KL}(q(z \\mid x) \\,\\|\\, \\mathcal{N}(0, I))`, closed form."""

    name = "kl"

    def __call__(self, output, batch, module):
        kl = gaussian_kl(output.code_mean, output.code_log_var)
        return batch_mean(kl, output, batch)


def _all_parameters(module):
    return module.named_parameters()


class ParametersOf:
    """The ``(name, parameter)`` pairs of some of a module's submodules.

    A class, not a closure, so that a fitted objective pickles.
    """

    def __init__(self, *submodules):
        self.submodules = submodules

    def __call__(self, module):
        for name in self.submodules:
            yield from getattr(module, name).named_parameters(prefix=name)


@dataclasses.dataclass
class Phase:
    """One optimizer step per batch: some terms, some parameters.

    Parameters
    ----------
    name : str
        Names the phase's optimizer (``<name>_optimizer_``; the first
        phase's is skorch's ``optimizer_``).
    terms : list of (Term, float)
        The terms and their weights; the phase's loss is the weighted sum.
    parameters : callable, default=all of the module's
        ``parameters(module)`` gives the ``(name, parameter)`` pairs the
        phase updates.
    learning_rate, weight_decay : float or None
        Of a later phase's optimizer; the first phase's come from the
        training settings.
    """

    name: str
    terms: list
    parameters: Callable = _all_parameters
    learning_rate: float | None = None
    weight_decay: float = 0.0


class Objective(nn.Module):
    """What training minimises: phases of weighted, named terms.

    ``Objective([(Reconstruction(), 1.0), (GaussianKL(), beta)])`` is the
    VAE's single phase. Terms whose weight is 0 are neither computed nor
    recorded. ``prior`` is the distribution a generative model's codes are
    trained towards (see :mod:`sklearn_ae.priors`); the fitted estimator
    keeps it as ``prior_``.
    """

    def __init__(self, terms=None, *, phases=None, prior=None):
        super().__init__()
        self.prior = prior
        if phases is None:
            phases = [Phase("main", list(terms))]
        self.phases = [
            dataclasses.replace(p, terms=[(t, w) for t, w in p.terms if w != 0])
            for p in phases
        ]

    def terms(self):
        """Every term of every phase."""
        return [term for phase in self.phases for term, _ in phase.terms]

    def attach(self, train):
        """Give each term the training rows; their fitted attributes."""
        fitted = {}
        for term in self.terms():
            fitted.update(term.attach(train))
        return fitted

    def release(self):
        """Make each term drop the training rows: a fitted model keeps none."""
        for term in self.terms():
            term.release()

    def history_columns(self):
        """The history columns of every term: ``<term>_loss``."""
        return [f"{term.name}_loss" for term in self.terms()]

    def phase_loss(self, phase, output, batch, module):
        """``(loss, {term name: value})`` of one phase on a batch."""
        if len(phase.terms) == 1 and phase.terms[0][1] == 1:
            # The common case, once a batch: the loss is the term itself.
            term = phase.terms[0][0]
            value = term(output, batch, module)
            return value, {term.name: value.detach()}
        values = {term.name: term(output, batch, module) for term, _ in phase.terms}
        loss = None
        for term, weight in phase.terms:
            weighted = values[term.name] if weight == 1 else weight * values[term.name]
            loss = weighted if loss is None else loss + weighted
        if loss is None:
            loss = torch.zeros((), device=batch.target.device)
        return loss, {name: value.detach() for name, value in values.items()}
