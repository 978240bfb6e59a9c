"""Neural networks on scalar Values: modules, losses, optimizers, toy data, training."""

from opgrad.nn.data import DATASETS, Dataset, make_circles, make_moons, make_spiral
from opgrad.nn.losses import bce_with_logits, cross_entropy, hinge_loss, l2_penalty, mean, mse_loss
from opgrad.nn.module import MLP, Layer, Module, Neuron
from opgrad.nn.optim import SGD, Adam, AdamW, Optimizer, linear_decay
from opgrad.nn.serialize import ModelFileError, load_model, save_model
from opgrad.nn.training import (
    LOSSES,
    StepResult,
    accuracy,
    fit,
    objective,
    outputs_and_loss,
)

__all__ = [
    "DATASETS",
    "LOSSES",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "Dataset",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "Optimizer",
    "StepResult",
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
    "save_model",
]
