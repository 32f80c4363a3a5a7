"""convcore.nn: CNN layers, losses and a training loop over the compiled core.

    from convcore import nn, optim
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 14 * 14, 10))
    history = model.fit(X, y, epochs=5, batch_size=64, optimizer=optim.Adam(model.parameters()))

Layers keep torch's constructor arguments, parameter shapes and state_dict key names, so a
torch state_dict converted to NumPy arrays loads as is. See docs/nn.md.
"""
from convcore.nn import init
from convcore.nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from convcore.nn.layers import (
    AvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
)
from convcore.nn.loss import CrossEntropyLoss, Loss, MSELoss
from convcore.nn.module import Module, Parameter, Sequential, load, register_module
from convcore.nn.normalization import BatchNorm2d
from convcore.nn.training import evaluate, fit, predict

__all__ = [
    "Module",
    "Parameter",
    "Sequential",
    "Conv2d",
    "Linear",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool2d",
    "BatchNorm2d",
    "Flatten",
    "Dropout",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Loss",
    "CrossEntropyLoss",
    "MSELoss",
    "fit",
    "predict",
    "evaluate",
    "load",
    "register_module",
    "init",
]
