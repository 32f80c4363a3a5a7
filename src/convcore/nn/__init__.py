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
from convcore.nn.containers import Sequential
from convcore.nn.conv import Conv2d
from convcore.nn.dropout import Dropout
from convcore.nn.flatten import Flatten
from convcore.nn.linear import Linear
from convcore.nn.loss import CrossEntropyLoss, Loss, MSELoss
from convcore.nn.module import Module, load, register_module
from convcore.nn.normalization import BatchNorm2d
from convcore.nn.parameter import Parameter
from convcore.nn.pooling import AvgPool2d, GlobalAvgPool2d, MaxPool2d
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
