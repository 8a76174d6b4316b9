"""Priors over the codes of the generative autoencoders.

One place for every distribution a model's codes are trained to follow: the
variational models' standard normal and the adversarial model's Gaussian,
mixture on a circle, swiss roll or user sampler. Each prior draws with a
numpy ``Generator``, so sampling never touches torch's or numpy's global
random state. A fitted model draws from its prior with ``sample_prior``::

    >>> import numpy as np
    >>> from sklearn_ae.priors import make_prior
    >>> prior = make_prior("gaussian_mixture", n_components=2)
    >>> prior.sample(5, np.random.default_rng(0)).shape
    (5, 2)
"""

import numpy as np

PRIORS = ("gaussian", "gaussian_mixture", "swiss_roll")

# Shape of each mixture component, as in Makhzani et al.'s figures: spread
# along the radius, thin across it, so that ten components on one circle
# stay apart.
RADIAL_STD = 0.5
TANGENTIAL_STD = 0.1
# Thickness of the swiss roll, relative to its outer radius.
ROLL_STD = 0.02


class GaussianPrior:
    """The standard normal :math:`\\mathcal{N}(0, I)` in ``n_components`` dimensions."""

    has_components = False

    def __init__(self, n_components):
        self.n_components = n_components

    def check(self):
        """Raise a ValueError if the prior cannot give codes of its width."""

    def sample(self, n, rng, components=None):
        """Draw ``n`` codes, an ndarray of shape ``(n, n_components)``.

        ``components`` (one per draw, -1 for any) is ignored by priors
        without components.
        """
        return rng.standard_normal((n, self.n_components))


class _ComponentPrior(GaussianPrior):
    """A prior cut into ``n_prior_components`` parts that labels can pick."""

    has_components = True

    def __init__(self, n_components, n_prior_components=10, radius=2.0):
        self.n_components = n_components
        self.n_prior_components = n_prior_components
        self.radius = radius

    def _components(self, n, rng, components):
        random = rng.integers(self.n_prior_components, size=n)
        if components is None:
            return random
        return np.where(components < 0, random, components)


class GaussianMixturePrior(_ComponentPrior):
    """Gaussians on a circle of radius ``radius`` in each pair of coordinates.

    Component :math:`k` of :math:`K` = ``n_prior_components`` sits at angle
    :math:`2 \\pi k / K`, with standard deviation 0.5 along the radius and
    0.1 across it; an odd last coordinate is :math:`\\mathcal{N}(0, 0.25)`.
    In one dimension the means are evenly spaced on ``[-radius, radius]``,
    with standard deviation 0.1.
    """

    def sample(self, n, rng, components=None):
        components = self._components(n, rng, components)
        n_components = self.n_components
        if n_components == 1:
            means = mixture_means(1, self.n_prior_components, self.radius)
            return means[components] + TANGENTIAL_STD * rng.standard_normal((n, 1))
        n_pairs = n_components // 2
        angle = (2 * np.pi * components / self.n_prior_components)[:, None]
        radial = self.radius + RADIAL_STD * rng.standard_normal((n, n_pairs))
        tangential = TANGENTIAL_STD * rng.standard_normal((n, n_pairs))
        codes = np.empty((n, n_components))
        pairs = slice(0, 2 * n_pairs, 2)
        codes[:, pairs] = radial * np.cos(angle) - tangential * np.sin(angle)
        codes[:, 1 : 2 * n_pairs : 2] = radial * np.sin(angle) + tangential * np.cos(
            angle
        )
        if n_components % 2:
            codes[:, -1] = RADIAL_STD * rng.standard_normal(n)
        return codes


class SwissRollPrior(_ComponentPrior):
    """A two-turn spiral of outer radius ``radius`` in two dimensions.

    Segment ``k`` is the arc swept by ``u`` in ``[k, k + 1) /
    n_prior_components``, so the segments have equal probability.
    """

    def check(self):
        if self.n_components != 2:
            raise ValueError(
                f"prior='swiss_roll' is two-dimensional but n_components="
                f"{self.n_components}; use n_components=2 or another prior."
            )

    def sample(self, n, rng, components=None):
        components = self._components(n, rng, components)
        u = (components + rng.uniform(size=n)) / self.n_prior_components
        r = np.sqrt(u) * self.radius
        angle = 4 * np.pi * np.sqrt(u)
        roll = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
        return roll + ROLL_STD * self.radius * rng.standard_normal((n, 2))


class CallablePrior(GaussianPrior):
    """A user's sampler ``sampler(n, rng) -> array of shape (n, n_components)``.

    Every draw is checked, at the size training asks for: a sampler may
    give the right shape for 3 draws and not for a batch, or NaN now and
    then. A few comparisons per batch, next to a network's forward pass.
    """

    def __init__(self, sampler, n_components):
        self.sampler = sampler
        self.n_components = n_components

    def check(self):
        self.sample(3, np.random.default_rng(0))

    def sample(self, n, rng, components=None):
        draws = self.sampler(n, rng)
        try:
            draws = np.asarray(draws, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"prior(n, rng) must return an array of numbers; for n={n} "
                f"it returned something else: {exc}"
            ) from exc
        if draws.shape != (n, self.n_components):
            raise ValueError(
                f"prior(n, rng) must return an array of shape (n, "
                f"n_components) = ({n}, {self.n_components}) for n={n}, got "
                f"shape {draws.shape}."
            )
        if not np.isfinite(draws).all():
            raise ValueError(
                f"prior(n, rng) returned non-finite values (NaN or infinity) "
                f"for n={n}: the prior callable must draw finite codes."
            )
        return draws


def make_prior(prior, n_components, *, n_prior_components=10, radius=2.0):
    """The prior named by ``prior`` (one of :data:`PRIORS`) or a callable's."""
    if callable(prior):
        return CallablePrior(prior, n_components)
    if prior == "gaussian":
        return GaussianPrior(n_components)
    if prior == "gaussian_mixture":
        return GaussianMixturePrior(n_components, n_prior_components, radius)
    if prior == "swiss_roll":
        return SwissRollPrior(n_components, n_prior_components, radius)
    raise ValueError(f"prior={prior!r} is not one of {PRIORS} or a callable.")


def mixture_means(n_components, n_prior_components, radius):
    """Means of the ``"gaussian_mixture"`` prior's components.

    Returns
    -------
    ndarray of shape (n_prior_components, n_components)
    """
    if n_components == 1:
        return np.linspace(-radius, radius, n_prior_components)[:, None]
    angle = 2 * np.pi * np.arange(n_prior_components) / n_prior_components
    means = np.zeros((n_prior_components, n_components))
    n_pairs = n_components // 2
    means[:, 0 : 2 * n_pairs : 2] = radius * np.cos(angle)[:, None]
    means[:, 1 : 2 * n_pairs : 2] = radius * np.sin(angle)[:, None]
    return means


__all__ = [
    "PRIORS",
    "CallablePrior",
    "GaussianMixturePrior",
    "GaussianPrior",
    "SwissRollPrior",
    "make_prior",
    "mixture_means",
]
