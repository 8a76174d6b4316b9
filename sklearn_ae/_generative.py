"""Sampling from generative autoencoders: decode draws from the prior."""

from numbers import Integral

from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted


class GenerativeMixin:
    """Mixin adding :meth:`sample` to an autoencoder with a prior on its codes.

    A subclass whose prior is not ``N(0, I)`` overrides
    :meth:`_sample_prior`; one whose decoder needs more than the codes (a
    conditional model's labels) overrides :meth:`sample` itself.
    """

    def _sample_prior(self, n_samples, random_state):
        """Codes drawn from the prior, an ndarray (n_samples, n_components)."""
        return random_state.standard_normal((n_samples, self.n_components))

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
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(
                f"n_samples={n_samples!r} must be a positive integer, the number "
                "of samples to generate."
            )
        codes = self._sample_prior(int(n_samples), check_random_state(random_state))
        return self.inverse_transform(codes)
