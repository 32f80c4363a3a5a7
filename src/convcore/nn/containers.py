"""Containers of modules: Sequential."""
from __future__ import annotations

from collections import OrderedDict

from convcore.nn.module import Module, module_from_config

__all__ = ["Sequential"]


class Sequential(Module):
    """Modules applied in order; backward runs them in reverse. Built from modules
    (named "0", "1", ...) or from one OrderedDict of name -> module."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"modules must be Module instances, got {type(m).__name__} at {name!r}")
            self.add_module(name, m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        layers = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(layers[idx]))
        if isinstance(idx, str):
            return self._modules[idx]
        return layers[idx][1]

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def _plan(self):
        """Forward execution order: layer indices, with each layer that commutes with max
        pooling (ReLU) run after the max pooling that directly follows it instead (the
        planning properties of Module). For ReLU, max(relu(x)) == relu(max(x)) element for
        element (NaN included), and the gradients agree too: the pooling indices can only
        differ inside windows whose maximum is <= 0, where ReLU's gradient is 0 either way.
        So the ReLU works on the pooled tensor, a quarter of the size for 2x2 pooling."""
        layers = list(self._modules.values())
        order = []
        i = 0
        while i < len(layers):
            if (i + 1 < len(layers) and layers[i].commutes_with_max_pool
                    and layers[i + 1].is_max_pool):
                order += [i + 1, i]
                i += 2
            else:
                order.append(i)
                i += 1
        return layers, order

    def forward(self, x):
        layers, order = self._plan()
        for i in order:
            x = layers[i].forward(x)
        self._last_order = order
        return x

    def backward(self, grad_output, input_grad: bool = True):
        layers = list(self._modules.values())
        order = getattr(self, "_last_order", None)
        if order is None or len(order) != len(layers):
            order = list(range(len(layers)))
        grad = grad_output
        for pos in range(len(order) - 1, -1, -1):
            # the first layer's input gradient is only computed when asked for
            grad = layers[order[pos]].backward(grad, input_grad if pos == 0 else True)
        return grad

    def get_config(self):
        names = list(self._modules)
        cfg = {"layers": [m.to_config() for m in self._modules.values()]}
        if names != [str(i) for i in range(len(names))]:
            cfg["names"] = names
        return cfg

    @classmethod
    def from_config(cls, config):
        layers = [module_from_config(c) for c in config["layers"]]
        names = config.get("names")
        if names is not None:
            return cls(OrderedDict(zip(names, layers)))
        return cls(*layers)
