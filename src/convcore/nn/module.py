"""The Module base class (parameters, buffers, train/eval, state_dict, save/load, Keras-like
fit/predict/evaluate), the registry of module classes, and nn.load.

Autograd is replaced by explicit layer-wise back-propagation: each module's forward keeps
what its backward needs, and backward(grad_output) returns the gradient with respect to the
forward input while adding the parameter gradients into each Parameter's .grad.
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict

import numpy as np

from convcore._args import bool_arg, dtype_arg, untuple
from convcore.nn._util import forward_state
from convcore.nn.parameter import Parameter

__all__ = ["Module", "load", "register_module", "module_from_config"]

_FORMAT = "convcore.nn"
_FORMAT_VERSION = 1
_CONFIG_KEY = "__config__"

# class name -> class, for rebuilding saved architectures. Only registered Module subclasses
# can be named by a saved file: loading never imports or executes anything else.
_REGISTRY: dict[str, type] = {}


def register_module(cls):
    """Make a Module subclass loadable by nn.load under its class name. Subclasses are
    registered automatically; this is for re-registering after a name clash."""
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"cls must be a Module subclass, got {cls!r}")
    _REGISTRY[cls.__name__] = cls
    return cls


class Module:
    """Base class of layers and containers.

    Subclasses assign Parameters, sub-Modules and (via register_buffer) buffers as
    attributes; they are found by parameters(), state_dict() and friends in assignment
    order, with torch's dotted key names. A subclass implements forward(x) and
    backward(grad_output, input_grad=True), and get_config() returning its constructor
    arguments (JSON-able) so that save/load can rebuild it.
    """

    # Properties a container plans with (containers.Sequential, and the graphs to come). A
    # class declares them for itself: a subclass may change forward, so it does not inherit
    # them (__init_subclass__ resets them unless it declares them again).
    #: elementwise, and max_pool(f(x)) == f(max_pool(x)) element for element, NaN included,
    #: with the same gradients: f may run after a max pooling instead of before it
    commutes_with_max_pool = False
    #: a max pooling (what such an f may be moved behind)
    is_max_pool = False
    _PLANNING = ("commutes_with_max_pool", "is_max_pool")

    #: configuration keys whose values are tuples (saved as JSON lists, see from_config)
    _tuple_config: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in Module._PLANNING:
            if name not in cls.__dict__:
                setattr(cls, name, False)
        # a user class named like a built-in one does not displace the built-in
        _REGISTRY.setdefault(cls.__name__, cls)

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -------------------------------------------------------------- registration

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning attributes"
            )
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"{name} is a parameter: assign a Parameter or None, got {type(value).__name__}")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, np.ndarray):
                raise TypeError(f"{name} is a buffer: assign an ndarray or None, got {type(value).__name__}")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"{name} is a sub-module: assign a Module or None, got {type(value).__name__}")
            modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value, persistent: bool = True) -> None:
        """A non-trainable array that belongs to the state (BatchNorm's running statistics).
        Non-persistent buffers are left out of state_dict()."""
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"name must be a non-empty string without '.', got {name!r}")
        if value is not None and not isinstance(value, np.ndarray):
            raise TypeError(f"value must be an ndarray or None, got {type(value).__name__}")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = value
        if not bool_arg("persistent", persistent):
            self._non_persistent.add(name)
        object.__setattr__(self, name, value)

    def add_module(self, name: str, module) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"name must be a non-empty string without '.', got {name!r}")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"module must be a Module, got {type(module).__name__}")
        setattr(self, name, module)

    # ------------------------------------------------------------------ traversal

    def named_modules(self, prefix: str = ""):
        """(dotted name, module) for this module and every descendant, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return [m for _, m in self.named_modules()]

    def children(self):
        return [m for m in self._modules.values() if m is not None]

    def named_parameters(self, prefix: str = ""):
        """(dotted name, Parameter), each Parameter once, in registration order."""
        seen = set()
        for mod_name, mod in self.named_modules(prefix):
            for name, p in mod._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> list:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = ""):
        for mod_name, mod in self.named_modules(prefix):
            for name, b in mod._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def num_parameters(self) -> int:
        return int(sum(p.size for p in self.parameters()))

    # --------------------------------------------------------------- mode, grads

    def train(self, mode: bool = True):
        """Training mode (batch statistics in BatchNorm, active Dropout) or, with False,
        evaluation mode, for this module and its descendants. Returns self."""
        mode = bool_arg("mode", mode)
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self) -> None:
        """Drop all parameter gradients (set .grad to None, as torch does by default)."""
        for p in self.parameters():
            p.grad = None

    @property
    def dtype(self):
        """The dtype of the first parameter (float32 when the module has none)."""
        for p in self.parameters():
            return p.data.dtype
        return np.dtype(np.float32)

    def astype(self, dtype):
        """Convert every parameter and floating buffer to dtype (float32 or float64), in
        place; gradients are dropped. Returns self."""
        dt = dtype_arg("dtype", dtype)
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p.data = p.data.astype(dt)
                    p.grad = None
            for name, b in list(m._buffers.items()):
                if b is not None and b.dtype.kind == "f":
                    setattr(m, name, b.astype(dt))
            m._on_dtype_change(dt)
        return self

    def _on_dtype_change(self, dtype) -> None:
        """Hook for modules that keep dtype-dependent state besides parameters."""

    def _forward_state(self, state):
        """What forward kept for backward; RuntimeError when backward comes first."""
        return forward_state(self, state)

    def _input(self, x):
        """x as an ndarray of this module's dtype (float16/ints/bools and the other float
        width are converted, like the functional API converts arguments)."""
        dt = self.dtype
        if isinstance(x, np.ndarray) and x.dtype == dt:
            return x
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"input must hold real numbers, got dtype {arr.dtype}")
        return arr.astype(dt)

    # -------------------------------------------------------------- computation

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_output, input_grad: bool = True):
        """Back-propagate grad_output (the gradient of the loss with respect to the last
        forward's output): add parameter gradients into .grad and return the gradient with
        respect to the forward input (None when input_grad is False)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x):
        return self.forward(x)

    # ------------------------------------------------------------------- state

    def state_dict(self) -> OrderedDict:
        """name -> copy of the array, parameters then persistent buffers of each module in
        registration order; names and shapes are torch's ("0.weight", "1.running_mean",
        "1.num_batches_tracked")."""
        out = OrderedDict()
        for mod_name, mod in self.named_modules():
            pre = f"{mod_name}." if mod_name else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    out[pre + name] = p.data.copy()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    out[pre + name] = b.copy()
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays (anything numpy.asarray accepts, torch CPU tensors included) into
        the parameters and buffers, keeping each one's dtype. Shapes must match. With
        strict, missing and unexpected keys are errors; the model is unchanged on error.
        Returns (missing_keys, unexpected_keys)."""
        strict = bool_arg("strict", strict)
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
        targets = OrderedDict()
        for mod_name, mod in self.named_modules():
            pre = f"{mod_name}." if mod_name else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    targets[pre + name] = (mod, name, True)
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    targets[pre + name] = (mod, name, False)
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(f"state_dict does not match the model: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        staged = []
        for key, (mod, name, is_param) in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if hasattr(value, "detach"):  # a torch tensor: no torch import needed
                value = value.detach().cpu().numpy()
            value = np.asarray(value)
            current = mod._parameters[name].data if is_param else mod._buffers[name]
            if value.shape != current.shape:
                raise ValueError(f"state_dict[{key!r}] has shape {value.shape}, the model "
                                 f"expects {current.shape}")
            if value.dtype.kind not in "biuf":
                raise TypeError(f"state_dict[{key!r}] must hold numbers, got dtype {value.dtype}")
            staged.append((current, value))
        for current, value in staged:
            current[...] = value
        return missing, unexpected

    # ----------------------------------------------------------- configuration

    def get_config(self) -> dict:
        """Constructor arguments as a JSON-able dict (for save/load). Modules whose
        __init__ takes arguments must override this."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """The module get_config describes; the keys in _tuple_config get their tuples back
        from the JSON lists."""
        if cls._tuple_config:
            config = {k: untuple(v) if k in cls._tuple_config else v for k, v in config.items()}
        return cls(**config)

    def to_config(self) -> dict:
        return {"class": type(self).__name__, "config": self.get_config(), "training": self.training}

    def save(self, path) -> str:
        """Write the architecture (JSON config) and the state_dict arrays into an .npz file
        (no pickled code). Returns the path written (".npz" is appended when missing)."""
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        header = {"format": _FORMAT, "version": _FORMAT_VERSION, "model": self.to_config()}
        text = json.dumps(header)
        arrays = self.state_dict()
        if _CONFIG_KEY in arrays:
            raise ValueError(f"a state_dict key may not be named {_CONFIG_KEY!r}")
        np.savez(path, **{_CONFIG_KEY: np.array(text)}, **arrays)
        return path

    # ---------------------------------------------------------------- training

    def fit(self, X, y, epochs=1, batch_size=32, optimizer=None, loss=None,
            validation_data=None, progress=True, shuffle=True, seed=None, on_epoch_end=None):
        """Train on (X, y); returns the history (see convcore.nn.training.fit)."""
        from convcore.nn.training import fit
        return fit(self, X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                   loss=loss, validation_data=validation_data, progress=progress,
                   shuffle=shuffle, seed=seed, on_epoch_end=on_epoch_end)

    def predict(self, X, batch_size=256):
        """Outputs for X in evaluation mode; see convcore.nn.training.predict."""
        from convcore.nn.training import predict
        return predict(self, X, batch_size=batch_size)

    def evaluate(self, X, y, loss=None, batch_size=256) -> dict:
        """{"loss", "accuracy"} on (X, y) in evaluation mode; see convcore.nn.training."""
        from convcore.nn.training import evaluate
        return evaluate(self, X, y, loss=loss, batch_size=batch_size)

    # ------------------------------------------------------------------ display

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"


def module_from_config(config: dict) -> Module:
    """Rebuild a module from to_config()'s dict (registered classes only)."""
    if not isinstance(config, dict) or "class" not in config:
        raise ValueError(f"config must be a dict with a 'class' entry, got {config!r}")
    name = config["class"]
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(f"config names an unknown module class {name!r}; import or register "
                         f"(nn.register_module) the class before loading")
    module = cls.from_config(config.get("config", {}))
    module.train(bool(config.get("training", True)))
    return module


def load(path) -> Module:
    """Rebuild a model saved with Module.save: the architecture from its JSON config, then
    the arrays (no pickle is read)."""
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    with np.load(path, allow_pickle=False) as f:
        if _CONFIG_KEY not in f.files:
            raise ValueError(f"{path} is not a saved convcore.nn model (no {_CONFIG_KEY} entry)")
        header = json.loads(str(f[_CONFIG_KEY]))
        if header.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a saved convcore.nn model")
        if header.get("version", 0) > _FORMAT_VERSION:
            raise ValueError(f"{path} was written by a newer convcore (format version "
                             f"{header['version']})")
        model = module_from_config(header["model"])
        state = {k: f[k] for k in f.files if k != _CONFIG_KEY}
    model.load_state_dict(state)
    return model
