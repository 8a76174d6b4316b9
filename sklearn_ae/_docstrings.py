"""Docstring pieces shared by every estimator, filled in with ``fill_doc``.

The training parameters are the same for all autoencoders; writing them once
keeps the variants' docstrings in step.
"""

import ast
import inspect
import re

TRAINING_PARAMETERS = """\
    batch_size : int, default=64
        Samples per gradient step. An iteration over n samples makes
        ``min(ceil(n / batch_size), 1024)`` Adam updates (see ``max_iter``).

    learning_rate_init : float, default=1e-3
        Adam's learning rate (the first batch's, under a schedule). If
        training stops with a "loss became nan" error, divide it by 10.

    learning_rate : {"auto", "constant", "cosine"}, default="auto"
        Learning-rate schedule. ``"constant"`` trains at
        ``learning_rate_init`` throughout; ``"cosine"`` anneals it, batch by
        batch, to zero at the end of ``max_iter`` iterations along a half cosine.
        Annealing settles the weights when ``max_iter`` is ample, but it
        halves the mean rate, so a short run learns less. A warm-started fit
        anneals again from ``learning_rate_init``. ``"auto"`` is
        ``"constant"`` while an iteration is a pass over the training rows
        (up to ``1024 * batch_size`` of them, fewer when batches carry a
        labelled share); past that it is a fixed budget
        of ``min(max_iter, 50)`` iterations (51,200 updates) annealed along
        the cosine, all trained: ``n_iter_no_change`` applies only with
        ``early_stopping=True``. On large data the constant rate's loss
        still swings from one iteration to the next when the stopping rule
        fires, and a fit that stops at a random point of it is worse at a
        million rows than at 100,000; the annealed budget is not (see
        "Large data" in the user guide).

    weight_decay : float, default=0.3
        Decoupled weight decay (AdamW): every update also shrinks each weight
        by the current learning rate times ``weight_decay`` of itself. It
        regularises: the larger it is, the smaller the weights, trading fit
        to the training data for fit to new data. 0 is plain Adam.

    max_iter : int, default=200
        Maximum number of iterations. An iteration is an epoch (a pass over
        the training data in shuffled batches) of at most 1,024 updates:
        beyond ``1024 * batch_size`` rows (65,536 at the default), each
        iteration draws 1,024 batches afresh, so the stopping rule, the
        learning-rate schedule and the cost of a fit stop growing with n
        (and ``learning_rate="auto"`` trains at most 50 of them).
        ``n_iter_`` counts iterations and ``n_updates_`` updates.

    early_stopping : bool, default=False
        If True, hold out ``validation_fraction`` of the data, stop when the
        validation loss stops improving and keep the best weights. If False,
        stop when the training loss stops improving.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``,
        at most 10,000 rows (the validation loss is computed every
        iteration; more rows would only make that slower).

    n_iter_no_change : int or None, default=10
        Stop after this many iterations without a relative improvement of at
        least ``tol`` in the monitored loss. None trains all ``max_iter``
        iterations. Past ``1024 * batch_size`` rows, ``learning_rate="auto"``
        ignores it unless ``early_stopping=True``.

    tol : float, default=1e-4
        Relative improvement of the monitored loss that counts as progress.

    device : str, default="auto"
        Where torch computes: ``"auto"`` (CUDA, then MPS, then CPU),
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``. Outputs are numpy
        arrays on the CPU (DataFrames under ``set_output``), and a model
        fitted on a GPU unpickles on a machine without one.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and any noise, which draw from
        generators the fit owns: an int gives the same model on every CPU run
        with the same number of torch threads, alone or in threads beside
        other fits, and torch's global RNG state is neither used nor
        changed. See "Reproducibility" in the user guide.

    verbose : int, default=0
        0 is silent, 1 shows a progress bar over epochs, 2 also prints
        skorch's per-epoch table (its best values in colour only when
        stdout is a terminal: a log file gets plain text).

    warm_start : bool, default=False
        If True, a new ``fit`` continues training the fitted network (its
        weights and optimizer state) for up to ``max_iter`` more iterations
        instead of starting afresh, with the current values of the other
        training parameters (learning rates, weight decay, batch size,
        stopping rules) and loss weights. Whether warm or not, a fit either
        succeeds or leaves the estimator as it was before the call
        (unfitted, or with its previous model and attributes): after
        invalid data, a diverging loss (``FloatingPointError``) or a
        ``KeyboardInterrupt`` (Ctrl-C), which reaches the caller instead of
        ending training quietly."""

TRAINING_ATTRIBUTES = """\
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    n_iter_ : int
        Number of iterations (epochs, capped at 1,024 updates each; see
        ``max_iter``) trained, summed over warm-started fits; each
        ``partial_fit`` call, one pass over its chunk, counts as one.

    n_updates_ : int
        Number of gradient updates (training batches) made, summed over
        warm-started fits and ``partial_fit`` calls.

    loss_curve_ : ndarray of shape (n_iter_,)
        Mean training loss (negative log-likelihood plus any penalty, without
        constants) of each epoch, or of each ``partial_fit`` call's chunk.

    loss_terms_ : dict of str to ndarray of shape (n_iter_,)
        Epoch means of each named term of the training objective (for
        example ``"reconstruction"`` and ``"kl"``), unweighted: the loss is
        their sum weighted by the model's parameters (``beta``,
        ``sparsity_weight``, ...). Also in ``net_.history`` as
        ``<term>_loss``.

    validation_loss_curve_ : ndarray of shape (n_iter_,)
        Mean validation loss of each epoch; only when ``early_stopping=True``.
        NaN for the epochs of an earlier fit that ``warm_start`` continued
        without early stopping, so that it always has ``n_iter_`` entries.

    noise_variance_ : ndarray of shape (n_features_in_,) or None
        The variance of the decoder's Gaussian per feature, in data units:
        learned for ``loss="gaussian"`` and ``"gaussian_shared"``, ones for
        ``loss="mse"``; None for the Bernoulli (``loss="bce"``).

    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the full training history."""


def _with_defaults_of(cls, parameters):
    """The shared parameter text with ``cls``'s own defaults.

    A variant may change a shared default (the linear autoencoder's
    learning rate, the adversarial one's ``n_iter_no_change``); its
    reference must then show that default, not the common one.
    """
    signature = inspect.signature(cls.__init__).parameters

    def own_default(match):
        parameter = signature.get(match["name"])
        if parameter is None or parameter.default is inspect.Parameter.empty:
            return match[0]
        default = parameter.default
        if ast.literal_eval(match["default"]) == default:
            return match[0]  # keeps the written form, "1e-4" not "0.0001"
        text = f'"{default}"' if isinstance(default, str) else repr(default)
        return f"{match['head']}default={text}"

    return re.sub(
        r"^(?P<head>    (?P<name>\w+) : .*?, )default=(?P<default>.*)$",
        own_default,
        parameters,
        flags=re.M,
    )


def fill_doc(cls):
    """Fill ``{training_parameters}`` and ``{training_attributes}`` in a docstring.

    A placeholder may be indented like the rest of the docstring or sit at
    column 0. Indented is the safe form: ``ruff format`` re-indents a
    docstring whose placeholder sits at column 0 (unless a backslash
    continuation stops it), which breaks its numpydoc sections.
    """
    # re.sub with a function, not str.format: docstrings hold literal braces.
    doc = re.sub(
        r"^[ \t]*\{training_parameters\}",
        lambda _: _with_defaults_of(cls, TRAINING_PARAMETERS),
        cls.__doc__,
        flags=re.M,
    )
    cls.__doc__ = re.sub(
        r"^[ \t]*\{training_attributes\}",
        lambda _: TRAINING_ATTRIBUTES,
        doc,
        flags=re.M,
    )
    return cls


def fill_pieces(**pieces):
    """Class decorator filling ``{name}`` placeholders with generated text.

    For option lists made from a registry (the manifold autoencoder's
    geometries): a placeholder alone on its line is replaced, indentation
    included, by its piece, which carries its own; one inside a line, by
    the piece as it is.
    """

    def fill(cls):
        doc = cls.__doc__
        for name, text in pieces.items():
            # Functions, not strings, as replacements: pieces hold backslashes.
            line = re.compile(rf"^[ \t]*\{{{name}\}}$", flags=re.M)
            doc = line.sub(lambda _, text=text: text, doc)
            doc = doc.replace(f"{{{name}}}", text)
        cls.__doc__ = doc
        return cls

    return fill
