"""Neural networks on scalar Values: modules, losses, optimizers, toy data, training."""

from opgrad.nn.data import DATASETS, Dataset, make_circles, make_moons, make_spiral
from opgrad.nn.losses import bce_with_logits, cross_entropy, hinge_loss, l2_penalty, mean, mse_loss
from opgrad.nn.module import MLP, Layer, Module, Neuron, parameter_count
from opgrad.nn.optim import SGD, Adam, AdamW, Optimizer, linear_decay
from opgrad.nn.progress import StepResult
from opgrad.nn.serialize import (
    MAX_MODEL_BYTES,
    ModelFileError,
    NonFiniteModelError,
    load_model,
    save_model,
)
from opgrad.nn.store import ParameterStore, StoredParameter
from opgrad.nn.training import (
    LOSSES,
    DivergenceError,
    accuracy,
    fit,
    objective,
    outputs_and_loss,
)

__all__ = [
    "DATASETS",
    "LOSSES",
    "MAX_MODEL_BYTES",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "Dataset",
    "DivergenceError",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "NonFiniteModelError",
    "Optimizer",
    "ParameterStore",
    "StepResult",
    "StoredParameter",
    "accuracy",
    "bce_with_logits",
    "cross_entropy",
    "fit",
    "hinge_loss",
    "l2_penalty",
    "linear_decay",
    "load_model",
    "make_circles",
    "make_moons",
    "make_spiral",
    "mean",
    "mse_loss",
    "objective",
    "outputs_and_loss",
    "parameter_count",
    "save_model",
]
