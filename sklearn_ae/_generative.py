"""Sampling from generative autoencoders: decode draws from the prior."""

from sklearn.utils.validation import check_is_fitted

from ._layer_sizes import is_int
from ._limits import MAX_ARRAY_ELEMENTS, check_size
from ._objective import Objective
from ._random import numpy_generator
from .priors import GaussianPrior


def check_n_samples(n_samples, width):
    """``n_samples`` as an int, checked against the size budget.

    ``width`` is the number of values each sample takes (its codes and its
    features); booleans are refused although ``True`` is an ``Integral``.
    """
    if not is_int(n_samples) or n_samples < 1:
        raise ValueError(
            f"n_samples={n_samples!r} must be a positive integer, the number "
            "of samples to generate."
        )
    n_samples = int(n_samples)
    check_size(
        n_samples * width,
        MAX_ARRAY_ELEMENTS,
        f"n_samples={n_samples} of {width} values each",
        "draw fewer samples per call (call it in chunks)",
    )
    return n_samples


class GenerativeMixin:
    """Mixin adding :meth:`sample` and :meth:`sample_prior` to an autoencoder.

    The fitted model keeps its prior (one of :mod:`sklearn_ae.priors`) as
    ``prior_``; the objective is built with it (``_make_prior``), so the
    codes are trained towards the distribution they are later drawn from.
    """

    # How a random_state becomes the prior's stream (the VAE keeps the
    # legacy RandomState its samples were always drawn with).
    _prior_rng = staticmethod(numpy_generator)

    def _make_prior(self):
        return GaussianPrior(self.n_components)

    def _make_objective(self):
        return Objective(self._objective_terms(), prior=self._make_prior())

    def _sample_width(self):
        """Values each sample holds: its code and its decoded features."""
        return self._n_features_out + self.n_features_in_

    def _components_of(self, y, n_samples):
        """Prior component of each sample for labels y; None draws any."""
        if y is not None:
            raise ValueError(
                f"{type(self).__name__} has no labelled prior components; "
                "call sample_prior without y."
            )
        return None

    def sample_prior(self, n_samples=1, *, y=None, random_state=None):
        """Draw codes from the fitted model's prior ``p(z)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of codes to draw.
        y : label or array-like of shape (n_samples,), default=None
            For a prior with one component per class (an adversarial
            autoencoder fitted with labels): the class of each draw.
        random_state : int, RandomState instance, Generator or None, \
default=None
            Seeds the draws; torch's random state is never used or changed.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples, self._sample_width())
        components = self._components_of(y, n_samples)
        rng = self._prior_rng(random_state)
        return self.prior_.sample(n_samples, rng, components=components)

    def sample(self, n_samples=1, random_state=None, *, y=None):
        """Generate samples: decode codes drawn from the prior.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        random_state : int, RandomState instance or None, default=None
            Seeds the draw of the codes, so that an int gives the same
            samples on every call. None draws from numpy's global random
            state, as everywhere in scikit-learn; torch's random state is
            never used or changed.

        y : label or array-like of shape (n_samples,), default=None
            Class of each sample, for a model whose prior has a component
            per class (an :class:`AdversarialAutoEncoder` fitted with
            labels and a ``"gaussian_mixture"`` or ``"swiss_roll"`` prior):
            draws come from that class's component. None draws from the
            whole prior.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            The decoder's mean at each drawn code (pixel intensities for a
            Bernoulli decoder, in [0, 1]).
        """
        codes = self.sample_prior(n_samples, y=y, random_state=random_state)
        return self._decode(codes)
