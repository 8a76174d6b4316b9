"""Docstring pieces shared by every estimator, filled in with ``fill_doc``.

The training parameters are the same for all autoencoders; writing them once
keeps the variants' docstrings in step. The ``loss`` entry is generated from
the likelihood registry (:data:`~sklearn_ae._likelihoods.LIKELIHOODS`), so
a new likelihood appears in every docstring without an edit.
"""

import ast
import inspect
import re

from ._likelihoods import LIKELIHOODS

TRAINING_PARAMETERS = """\
    batch_size : int, default=64
        Samples per gradient step. An iteration over n samples makes
        ``min(ceil(n / batch_size), 1024)`` optimizer updates (see
        ``max_iter``).

    learning_rate_init : float, default=1e-3
        The optimizer's learning rate, its ``lr`` (the first batch's, under a
        schedule). If training stops with a "loss became nan" error, divide
        it by 10.

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
        "Large data" in the user guide). A model that regresses a fixed
        target from noisy inputs (the manifold model's ``"layout"``) takes
        the annealed budget at any size, and at least 3,150 updates of it
        (MNIST-5k's 50 passes; digits' 1,437 rows take 137), up to
        ``max_iter`` iterations.

    weight_decay : float, default=0.3
        Decoupled weight decay (AdamW): every update also shrinks each weight
        by the current learning rate times ``weight_decay`` of itself. It
        regularises: the larger it is, the smaller the weights, trading fit
        to the training data for fit to new data. 0 is plain Adam. It is the
        optimizer's ``weight_decay`` argument: another ``optimizer`` gives it
        its own meaning (an L2 penalty for ``torch.optim.SGD``), and one
        without it (``torch.optim.Rprop``) needs ``weight_decay=0``.

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
        ending training quietly.

    callbacks : list of skorch callbacks, default=None
        skorch callbacks (``skorch.callbacks.Callback`` instances, or
        ``(name, callback)`` pairs) run after the estimator's own at every
        event of training: ``EpochScoring``, ``Checkpoint``,
        ``LRScheduler`` (with ``learning_rate="constant"``, so that one
        schedule sets the rates) or your own. Each fit trains with deep
        copies, found by name in ``net_.callbacks_`` (an unnamed one under
        its class name): the list itself never changes, so ``clone`` and a
        grid search share no callback state. They see the main training
        only, not a stacked model's layer-wise pretraining. A callback that
        raises (``KeyboardInterrupt`` too) ends the fit, which leaves the
        estimator as it was. A model with callbacks saves with pickle, not
        :func:`~sklearn_ae.save`.

    optimizer : subclass of torch.optim.Optimizer, default=torch.optim.AdamW
        The optimizer class; every phase of the training objective (an
        adversarial model's three) gets one over its own weights.
        ``learning_rate_init`` and ``weight_decay`` set its ``lr`` and
        ``weight_decay`` (later phases' rates are their own parameters);
        ``learning_rate`` schedules every phase's rate. A warm start
        continues the fitted optimizer's state, so it cannot change the
        class. :func:`~sklearn_ae.save` stores torch's optimizers by name;
        a class of your own needs pickle.

    optimizer_params : dict, default=None
        The optimizer's other arguments by name, e.g. ``{"momentum": 0.9}``
        for ``torch.optim.SGD`` or ``{"betas": (0.9, 0.99)}``, given to
        every phase's optimizer. As in skorch, each is also the parameter
        ``optimizer__<name>`` of ``get_params`` and ``set_params``, so a
        grid search can tune ``optimizer__momentum``. A warm start sets
        them on the fitted optimizers (one left out keeps its fitted
        value). Refused at ``fit``:
        an argument the optimizer does not take or a value it refuses, and
        ``lr`` or ``weight_decay``, which ``learning_rate_init`` and
        ``weight_decay`` set. AdamW, Adam and SGD take torch's
        multi-tensor step (``foreach=True``, the same numbers, faster on
        the CPU) for networks of up to 250,000 weights unless ``foreach``,
        ``fused`` or ``differentiable`` is given here."""

NETWORK_PARAMETERS = """\
    encoder : torch.nn.Module, callable or None, default=None
        A network of your own in place of the encoder MLP: a module,
        deep-copied at fit (so the parameter is never trained in place, and
        ``clone`` gives every candidate of a search the same starting
        weights), or a callable ``encoder(n_features_in, n_components)``
        called at fit to build one (its initial weights then follow
        ``random_state``). It reads the standardised rows, a float32 tensor
        of shape ``(n_rows, n_features_in)``, and returns the codes,
        ``(n_rows, n_components)``; a variational model's encoder may return
        any width, which the model's own linear layer maps to the
        posterior's mean and log-variance. A network that does not fit is
        refused at fit with an error naming it. None uses the MLP of
        ``hidden_layer_sizes`` and ``activation``. See
        :ref:`custom_networks` for what each model needs.

    decoder : torch.nn.Module, callable or None, default=None
        A network of your own in place of the decoder MLP, given as
        ``encoder`` is (a callable is called as
        ``decoder(n_features_in, n_components)``). It reads codes of shape
        ``(n_rows, n_components)`` and returns ``(n_rows, n_features_in)``
        on the standardised scale for a Gaussian likelihood (the model maps
        it back to data units), or logits for ``loss="bce"``; the
        conditional VAE's also reads the one-hot label after the code. None
        uses the mirrored MLP. :func:`~sklearn_ae.save` keeps the weights of
        your networks but not their code: pass them to
        :func:`~sklearn_ae.load` again."""

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
        learned for {learned}, ones for {unit}; None for {other}.

    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the full training history."""


def _loss_values(test):
    """The ``loss`` values whose likelihood class passes ``test``, as prose."""
    names = [f'``loss="{name}"``' for name, cls in LIKELIHOODS.items() if test(cls)]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)


def _training_attributes():
    """:data:`TRAINING_ATTRIBUTES` with the registry's likelihoods named."""
    return TRAINING_ATTRIBUTES.format(
        learned=_loss_values(lambda cls: cls.learns_variance),
        unit=_loss_values(lambda cls: cls.data_units and not cls.learns_variance),
        other=_loss_values(lambda cls: not cls.data_units),
    )


def loss_parameter(default):
    """The ``loss`` parameter's entry, generated from the likelihood registry.

    The option set lists ``default`` first, then the others in the
    registry's order; each option gets its one-line description.
    """
    names = [default, *(name for name in LIKELIHOODS if name != default)]
    options = ", ".join(f'"{name}"' for name in names)
    items = "\n".join(
        f'        - ``"{name}"``: {LIKELIHOODS[name].description}.' for name in names
    )
    return (
        f'    loss : {{{options}}}, default="{default}"\n'
        "        The decoder's likelihood, whose negative log-likelihood is the\n"
        "        reconstruction loss (see the user guide's :ref:`likelihoods`\n"
        "        page):\n\n"
        f"{items}"
    )


SAMPLE_WEIGHT_PARAMETER = """\
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the training loss (and in the validation
            loss under ``early_stopping``): each row's loss terms count in
            proportion to its weight, so an integer weight acts as that many
            copies of the row, and a zero weight as leaving it out. ``fit``
            uses only their ratios, ``partial_fit`` the weights as given
            (they weigh one chunk against another too). None, or all ones,
            trains exactly as unweighted. The input scaling is measured on the
            rows unweighted. See :ref:`sample_weights`."""


def fill_sample_weight(method):
    """Fill the ``{sample_weight}`` line of a fitting method's docstring.

    Apply it first (nearest the ``def``): the wrappers above copy the
    docstring when they are made.
    """
    method.__doc__ = re.sub(
        r"^[ \t]*\{sample_weight\}",
        lambda _: SAMPLE_WEIGHT_PARAMETER,
        method.__doc__,
        flags=re.M,
    )
    return method


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
        # A class default is written by its name (torch.optim.AdamW).
        if isinstance(default, type) or ast.literal_eval(match["default"]) == default:
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
    """Fill the shared placeholders of a docstring.

    ``{loss_parameter}``, ``{network_parameters}``,
    ``{training_parameters}`` and ``{training_attributes}``.

    A placeholder may be indented like the rest of the docstring or sit at
    column 0. Indented is the safe form: ``ruff format`` re-indents a
    docstring whose placeholder sits at column 0 (unless a backslash
    continuation stops it), which breaks its numpydoc sections.
    """
    # re.sub with a function, not str.format: docstrings hold literal braces.
    doc = re.sub(
        r"^[ \t]*\{loss_parameter\}",
        lambda _: loss_parameter(inspect.signature(cls).parameters["loss"].default),
        cls.__doc__,
        flags=re.M,
    )
    doc = re.sub(
        r"^[ \t]*\{network_parameters\}",
        lambda _: NETWORK_PARAMETERS,
        doc,
        flags=re.M,
    )
    doc = re.sub(
        r"^[ \t]*\{training_parameters\}",
        lambda _: _with_defaults_of(cls, TRAINING_PARAMETERS),
        doc,
        flags=re.M,
    )
    cls.__doc__ = re.sub(
        r"^[ \t]*\{training_attributes\}",
        lambda _: _training_attributes(),
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
