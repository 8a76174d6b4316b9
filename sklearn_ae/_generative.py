"""Sampling from generative autoencoders: decode draws from the prior."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._objective import Objective
from .priors import GaussianPrior


def check_n_samples(n_samples):
    if not isinstance(n_samples, Integral | np.integer) or n_samples < 1:
        raise ValueError(
            f"n_samples={n_samples!r} must be a positive integer, the number "
            "of samples to generate."
        )
    return int(n_samples)


class GenerativeMixin:
    """Mixin adding :meth:`sample` and :meth:`sample_prior` to an autoencoder.

    The fitted model keeps its prior (one of :mod:`sklearn_ae.priors`) as
    ``prior_``; the objective is built with it (``_make_prior``), so the
    codes are trained towards the distribution they are later drawn from.
    """

    # How a random_state becomes the prior's stream: legacy RandomState for
    # the VAE, whose samples were drawn so from the start.
    _prior_rng = staticmethod(check_random_state)

    def _make_prior(self):
        return GaussianPrior(self.n_components)

    def _make_objective(self):
        return Objective(self._objective_terms(), prior=self._make_prior())

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
        n_samples = check_n_samples(n_samples)
        components = self._components_of(y, n_samples)
        rng = self._prior_rng(random_state)
        return self.prior_.sample(n_samples, rng, components=components)

    def sample(self, n_samples=1, random_state=None):
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

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            The decoder's mean at each drawn code (pixel intensities for a
            Bernoulli decoder, in [0, 1]).
        """
        return self._decode(self.sample_prior(n_samples, random_state=random_state))
