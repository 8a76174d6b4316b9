"""callbacks=, optimizer= and optimizer__* parameters on every estimator."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback, Checkpoint, EpochScoring, EpochTimer, LRScheduler
from torch.optim.lr_scheduler import StepLR

from sklearn_ae import (
    AdversarialAutoEncoder,
    AutoEncoder,
    StackedAutoEncoder,
    _extensions,
)
from tests._support import small_estimators

SMALL = {
    "hidden_layer_sizes": (8,),
    "max_iter": 3,
    "n_iter_no_change": None,
    "batch_size": 20,
    "random_state": 0,
    "device": "cpu",
}


class Recorder(Callback):
    """Counts the epochs it sees, from a state it resets at initialisation."""

    def initialize(self):
        self.epochs_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_.append(len(net.history))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.uniform(size=(60, 6)), rng.integers(0, 3, 60)


@pytest.mark.parametrize("estimator", small_estimators(), ids=repr)
def test_user_callbacks_see_every_epoch(estimator, data):
    named, unnamed = Recorder(), Recorder()
    est = clone(estimator).set_params(
        max_iter=3, n_iter_no_change=None, callbacks=[("recorder", named), unnamed]
    )
    est.fit(*data)
    fitted = dict(est.net_.callbacks_)
    # A stacked model's layer-wise pretraining runs without them.
    assert fitted["recorder"].epochs_ == [1, 2, 3]
    assert fitted["Recorder"].epochs_ == [1, 2, 3]
    # Each fit trains with copies: the parameter's callbacks are untouched.
    assert fitted["recorder"] is not named and not hasattr(named, "epochs_")
    assert est.callbacks[0][1] is named and est.callbacks[1] is unnamed


def test_each_fit_and_each_clone_has_callbacks_of_its_own(data):
    est = AutoEncoder(**SMALL, callbacks=[("recorder", Recorder())])
    first = dict(est.fit(*data).net_.callbacks_)["recorder"]
    second = dict(est.fit(*data).net_.callbacks_)["recorder"]
    assert first is not second and first.epochs_ == second.epochs_ == [1, 2, 3]
    # A partial_fit call is a fit of one epoch, with copies of its own.
    est.partial_fit(data[0])
    assert dict(est.net_.callbacks_)["recorder"].epochs_ == [4]
    twin = clone(est)
    assert twin.callbacks[0][1] is not est.callbacks[0][1]


def test_stacked_pretraining_runs_without_the_users_callbacks(data):
    est = StackedAutoEncoder(
        **SMALL, pretraining_iter=2, callbacks=[("recorder", Recorder())]
    ).fit(*data)
    assert dict(est.net_.callbacks_)["recorder"].epochs_ == [1, 2, 3]
    assert [len(curve) for curve in est.pretraining_loss_curves_] == [2, 2]


def test_skorch_scoring_checkpoint_and_scheduler_callbacks_work(data, tmp_path):
    def weight_norm(net, X, y):
        with torch.no_grad():
            return float(sum(p.norm() for p in net.module_.parameters()))

    est = AutoEncoder(
        **SMALL,
        learning_rate="constant",
        learning_rate_init=0.01,
        callbacks=[
            EpochScoring(weight_norm, on_train=True, name="weight_norm"),
            Checkpoint(monitor="train_loss_best", dirname=tmp_path),
            LRScheduler(policy=StepLR, step_size=1, gamma=0.5),
        ],
    ).fit(*data)
    history = est.net_.history
    assert len(history[:, "weight_norm"]) == 3
    assert all(np.isfinite(history[:, "weight_norm"]))
    assert (tmp_path / "params.pt").exists()
    assert history[:, "event_lr"] == [0.01, 0.005, 0.0025]
    assert est.net_.optimizer_.param_groups[0]["lr"] == 0.01 * 0.5**3


@pytest.mark.parametrize("schedule", ["auto", "cosine"])
def test_a_user_scheduler_needs_a_constant_learning_rate(schedule, data):
    est = AutoEncoder(
        **SMALL,
        learning_rate=schedule,
        callbacks=[LRScheduler(policy=StepLR, step_size=1)],
    )
    with pytest.raises(ValueError, match="learning_rate='constant'"):
        est.fit(*data)
    assert not hasattr(est, "n_features_in_")


@pytest.mark.parametrize(
    "callbacks, match",
    [
        ([object()], "item 0 is <object"),
        ([EpochTimer(), ("timer", EpochTimer)], "item 1 is"),
        ([("", EpochTimer())], "item 0 is"),
        ([("progress", EpochTimer())], "'progress'"),
        ([("reconstruction_loss", EpochTimer())], "'reconstruction_loss'"),
        ([("a", EpochTimer()), ("a", EpochTimer())], "'a'"),
    ],
)
def test_bad_callbacks_are_refused(callbacks, match, data):
    est = AutoEncoder(**SMALL, callbacks=callbacks)
    with pytest.raises((TypeError, ValueError), match=match):
        est.fit(*data)
    assert not hasattr(est, "n_features_in_")


def test_optimizer_arguments_are_parameters_in_skorchs_style():
    given = {"momentum": 0.9}
    est = AutoEncoder(optimizer=torch.optim.SGD, optimizer_params=given)
    assert est.get_params()["optimizer__momentum"] == 0.9
    assert "optimizer__momentum" not in est.get_params(deep=False)
    twin = clone(est)
    assert twin.optimizer_params == given and twin.optimizer is torch.optim.SGD
    est.set_params(optimizer__momentum=0.5, optimizer__nesterov=True, max_iter=2)
    assert est.optimizer_params == {"momentum": 0.5, "nesterov": True}
    assert est.get_params()["optimizer__nesterov"] is True
    assert est.max_iter == 2
    # The dict the estimator was given is replaced, never changed.
    assert given == {"momentum": 0.9} == twin.optimizer_params
    assert not any(k.startswith("optimizer__") for k in AutoEncoder().get_params())
    with pytest.raises(ValueError, match="'optimizer__'"):
        AutoEncoder().set_params(optimizer__=1)
    pipeline = make_pipeline(AutoEncoder())
    pipeline.set_params(autoencoder__optimizer__momentum=0.9)
    assert pipeline[-1].optimizer_params == {"momentum": 0.9}


def test_grid_search_tunes_an_optimizer_argument(data):
    search = GridSearchCV(
        AutoEncoder(**SMALL, optimizer=torch.optim.SGD, weight_decay=0.0),
        {"optimizer__momentum": [0.0, 0.9]},
        cv=2,
    ).fit(data[0])
    assert list(search.cv_results_["param_optimizer__momentum"]) == [0.0, 0.9]
    momentum = search.best_params_["optimizer__momentum"]
    group = search.best_estimator_.net_.optimizer_.param_groups[0]
    assert group["momentum"] == momentum
    assert search.estimator.optimizer_params is None


def test_the_optimizer_drives_every_phase_at_its_own_rate(data):
    est = AdversarialAutoEncoder(
        **SMALL,
        discriminator_layer_sizes=(8,),
        learning_rate="constant",
        learning_rate_init=0.01,
        discriminator_learning_rate=0.02,
        generator_learning_rate=0.03,
        optimizer=torch.optim.SGD,
        optimizer_params={"momentum": 0.9},
    ).fit(*data)
    optimizers = est.net_.phase_optimizers()
    assert [type(o) for o in optimizers] == [torch.optim.SGD] * 3
    assert [o.param_groups[0]["lr"] for o in optimizers] == [0.01, 0.02, 0.03]
    assert all(o.param_groups[0]["momentum"] == 0.9 for o in optimizers)
    # The first phase decays its weights; the adversarial phases do not.
    assert [o.param_groups[0]["weight_decay"] for o in optimizers] == [0.3, 0, 0]


def test_adam_is_adamw_without_weight_decay(data):
    # The default optimizer is AdamW: with weight_decay=0 it is plain Adam.
    assert AutoEncoder().optimizer is torch.optim.AdamW
    X = data[0]
    default = AutoEncoder(**SMALL, weight_decay=0.0).fit(X)
    adam = AutoEncoder(**SMALL, weight_decay=0.0, optimizer=torch.optim.Adam).fit(X)
    np.testing.assert_array_equal(default.transform(X), adam.transform(X))
    sgd = AutoEncoder(**SMALL, optimizer=torch.optim.SGD).fit(X)
    assert not np.array_equal(default.transform(X), sgd.transform(X))


@pytest.mark.parametrize("estimator", small_estimators(), ids=repr)
def test_the_multi_tensor_step_gives_the_one_tensor_steps_numbers(estimator, data):
    # The loop asks AdamW for its multi-tensor step (faster on the CPU, where
    # torch's default is the one-tensor step): every model fits as before.
    params = {"max_iter": 3, "n_iter_no_change": None}
    default = clone(estimator).set_params(**params).fit(*data)
    one_tensor = clone(estimator).set_params(
        **params, optimizer_params={"foreach": False}
    )
    one_tensor.fit(*data)
    X = data[0]
    np.testing.assert_array_equal(default.transform(X), one_tensor.transform(X))
    assert default.net_.optimizer_.param_groups[0]["foreach"] is True
    assert one_tensor.net_.optimizer_.param_groups[0]["foreach"] is False


@pytest.mark.parametrize(
    "optimizer, arguments",
    [
        (torch.optim.Adam, {"amsgrad": True}),
        (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    ],
)
def test_each_multi_tensor_optimizer_keeps_its_numbers(optimizer, arguments, data):
    X = data[0]
    fits = [
        AutoEncoder(
            **SMALL, optimizer=optimizer, optimizer_params={**arguments, **choice}
        ).fit(X)
        for choice in ({}, {"foreach": False})
    ]
    np.testing.assert_array_equal(fits[0].transform(X), fits[1].transform(X))
    assert fits[0].net_.optimizer_.param_groups[0]["foreach"] is True


def test_other_optimizers_and_chosen_implementations_keep_torchs_choice(
    data, monkeypatch
):
    X = data[0]
    nadam = AutoEncoder(**SMALL, optimizer=torch.optim.NAdam).fit(X)
    assert nadam.net_.optimizer_.param_groups[0]["foreach"] is None
    # A network above the size where the multi-tensor step pays.
    weights = sum(
        p.numel() for p in AutoEncoder(**SMALL).fit(X).net_.module_.parameters()
    )
    monkeypatch.setattr(_extensions, "MULTI_TENSOR_MAX_WEIGHTS", weights - 1)
    large = AutoEncoder(**SMALL).fit(X)
    assert large.net_.optimizer_.param_groups[0]["foreach"] is None
    # A user's choice of implementation is kept, and not refused.
    for choice in ({"fused": False}, {"differentiable": False}):
        est = AutoEncoder(**SMALL, optimizer_params=choice).fit(X)
        assert est.net_.optimizer_.param_groups[0]["foreach"] is None


def test_an_optimizer_without_weight_decay_trains_with_none(data):
    with pytest.raises(ValueError, match="set weight_decay=0"):
        AutoEncoder(**SMALL, optimizer=torch.optim.Rprop).fit(*data)
    est = AutoEncoder(**SMALL, optimizer=torch.optim.Rprop, weight_decay=0).fit(*data)
    assert all("weight_decay" not in g for g in est.net_.optimizer_.param_groups)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"optimizer": "adam"}, TypeError, "'optimizer' parameter"),
        ({"optimizer": dict}, TypeError, "subclass of torch.optim.Optimizer"),
        ({"optimizer": torch.optim.LBFGS}, TypeError, "closure"),
        (
            {"optimizer": torch.optim.SparseAdam, "weight_decay": 0},
            TypeError,
            "SparseAdam",
        ),
        ({"optimizer_params": {"lr": 0.1}}, ValueError, "set learning_rate_init"),
        ({"optimizer_params": {"weight_decay": 0.1}}, ValueError, "set weight_decay"),
        ({"optimizer_params": {"params": []}}, ValueError, r"\['params'\]"),
        ({"optimizer_params": {1: 0}}, TypeError, "got the key 1"),
        ({"optimizer_params": [0.9]}, TypeError, "'optimizer_params' parameter"),
        (
            {"optimizer_params": {"momentum": 0.9}},
            ValueError,
            "takes no argument 'momentum'",
        ),
        (
            {"optimizer": torch.optim.SGD, "optimizer_params": {"momentum": -1}},
            ValueError,
            "Invalid momentum value",
        ),
    ],
)
def test_a_bad_optimizer_is_refused_before_training(params, error, match, data):
    est = AutoEncoder(**SMALL, **params)
    with pytest.raises(error, match=match):
        est.fit(*data)
    assert not hasattr(est, "n_features_in_")


def test_a_warm_start_keeps_its_optimizer_class_and_takes_new_arguments(data):
    X = data[0]
    est = AutoEncoder(
        **SMALL,
        warm_start=True,
        optimizer=torch.optim.SGD,
        optimizer_params={"momentum": 0.9},
    ).fit(X)
    codes = est.transform(X)
    est.set_params(optimizer=torch.optim.Adam, optimizer_params=None)
    with pytest.raises(ValueError, match="cannot change the optimizer"):
        est.fit(X)
    np.testing.assert_array_equal(est.transform(X), codes)
    est.set_params(optimizer=torch.optim.SGD, optimizer__momentum=0.5).fit(X)
    assert est.n_iter_ == 6
    assert est.net_.optimizer_.param_groups[0]["momentum"] == 0.5
    assert est.net_.optimizer__momentum == 0.5


def test_a_pickle_keeps_the_optimizer_by_name(data):
    X = data[0]
    est = AutoEncoder(
        **SMALL, optimizer=torch.optim.SGD, optimizer_params={"momentum": 0.9}
    ).fit(X)
    dumped = pickle.dumps(est)
    assert b"torch.optim" not in dumped
    restored = pickle.loads(dumped)
    assert restored.optimizer is torch.optim.SGD
    assert type(restored.net_.optimizer_) is torch.optim.SGD
    for model in (est, restored):
        model.set_params(warm_start=True, max_iter=2).fit(X)
    np.testing.assert_array_equal(restored.transform(X), est.transform(X))


def test_reserved_callback_names_are_those_of_the_loop(data):
    from sklearn_ae._extensions import RESERVED_NAMES

    est = AutoEncoder(
        **{**SMALL, "n_iter_no_change": 2},
        learning_rate="cosine",
        verbose=1,
        early_stopping=True,
    ).fit(data[0])
    names = {name for name, _ in est.net_.callbacks_}
    assert names - {"reconstruction_loss"} == RESERVED_NAMES
