"""Optimizers over convcore.nn Parameters: SGD (momentum, dampening, Nesterov, weight decay)
and Adam / AdamW (with AMSGrad), with torch.optim's update formulas step for step.

Parameters whose .grad is None are skipped. State lives in optimizer.state[param]."""
from __future__ import annotations

import math

import numpy as np

from convcore._args import bool_arg, float_arg
from convcore.nn.parameter import Parameter

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """Base class. params: an iterable of Parameters, or of dicts {"params": [...], option:
    value, ...} (parameter groups overriding the defaults, as torch's)."""

    def __init__(self, params, defaults: dict):
        if isinstance(params, Parameter):
            raise TypeError("params must be an iterable of Parameters (e.g. model.parameters()), "
                            "got a single Parameter")
        try:
            items = list(params)
        except TypeError:
            raise TypeError(f"params must be an iterable of Parameters, got {type(params).__name__}") from None
        if not items:
            raise ValueError("params is empty: the optimizer has nothing to update")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}
        seen = set()
        for group in groups:
            if not isinstance(group, dict) or "params" not in group:
                raise TypeError("params must be all Parameters or all dicts with a 'params' entry")
            ps = group["params"]
            ps = [ps] if isinstance(ps, Parameter) else list(ps)
            for p in ps:
                if not isinstance(p, Parameter):
                    raise TypeError(f"params must hold Parameters, got {type(p).__name__}")
                if id(p) in seen:
                    raise ValueError("params: a Parameter appears in more than one group")
                seen.add(id(p))
            unknown = set(group) - set(defaults) - {"params"}
            if unknown:
                raise ValueError(f"params: unknown option(s) {sorted(unknown)} in a parameter group")
            merged = dict(self.defaults)
            merged.update({k: v for k, v in group.items() if k != "params"})
            self._check(merged)
            merged["params"] = ps
            self.param_groups.append(merged)

    def _check(self, options: dict) -> None:
        """Validate one group's options (ValueError/TypeError naming the option)."""

    def zero_grad(self) -> None:
        """Set every parameter's .grad to None."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({opts})"


class SGD(Optimizer):
    """Stochastic gradient descent, torch.optim.SGD's formulas:

        g = grad + weight_decay * p
        b = g (first step), else momentum * b + (1 - dampening) * g
        g = g + momentum * b (nesterov) or b (momentum > 0)
        p = p - lr * g            (p + lr * g with maximize)
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check(self, o):
        o["lr"] = float_arg("lr", o["lr"], 0.0)
        o["momentum"] = float_arg("momentum", o["momentum"], 0.0)
        o["dampening"] = float_arg("dampening", o["dampening"])
        o["weight_decay"] = float_arg("weight_decay", o["weight_decay"], 0.0)
        o["nesterov"] = bool_arg("nesterov", o["nesterov"])
        o["maximize"] = bool_arg("maximize", o["maximize"])
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0")

    def step(self) -> None:
        for group in self.param_groups:
            lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
            wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                dt = p.data.dtype.type
                g = -p.grad if maximize else p.grad
                if wd:
                    g = g + dt(wd) * p.data
                if mom:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = np.array(g, copy=True)
                        state["momentum_buffer"] = buf
                    else:
                        buf *= dt(mom)
                        buf += dt(1 - damp) * g if damp else g
                    g = g + dt(mom) * buf if nesterov else buf
                p.data -= dt(lr) * g


class Adam(Optimizer):
    """Adam, torch.optim.Adam's formulas (L2 weight decay added to the gradient):

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
        v_hat = max(v_hat, v) with amsgrad, else v
        p = p - lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))
        self._scratch = {}

    def _check(self, o):
        o["lr"] = float_arg("lr", o["lr"], 0.0)
        betas = o["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        o["betas"] = (float_arg("betas[0]", betas[0], 0.0, 1.0, max_open=True),
                      float_arg("betas[1]", betas[1], 0.0, 1.0, max_open=True))
        o["eps"] = float_arg("eps", o["eps"], 0.0)
        o["weight_decay"] = float_arg("weight_decay", o["weight_decay"], 0.0)
        o["amsgrad"] = bool_arg("amsgrad", o["amsgrad"])
        o["maximize"] = bool_arg("maximize", o["maximize"])

    def step(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
            wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                dt = p.data.dtype.type
                g = -p.grad if maximize else p.grad
                state = self.state.get(p)
                if state is None:
                    state = {"step": 0, "exp_avg": np.zeros_like(p.data),
                             "exp_avg_sq": np.zeros_like(p.data)}
                    if amsgrad:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                    self.state[p] = state
                state["step"] += 1
                t = state["step"]
                if wd:
                    if self._decoupled:
                        p.data *= dt(1 - lr * wd)
                    else:
                        g = g + dt(wd) * p.data
                m, v = state["exp_avg"], state["exp_avg_sq"]
                # one scratch array per parameter keeps the update free of allocations
                work = self._scratch.get(p)
                if work is None or work.shape != p.data.shape or work.dtype != p.data.dtype:
                    work = self._scratch[p] = np.empty_like(p.data)
                # m += (1 - beta1) * (g - m): torch's lerp form of the first moment
                np.subtract(g, m, out=work)
                work *= dt(1 - b1)
                m += work
                np.multiply(g, g, out=work)
                work *= dt(1 - b2)
                v *= dt(b2)
                v += work
                bias1 = 1 - b1 ** t
                bias2_sqrt = math.sqrt(1 - b2 ** t)
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]
                    np.maximum(vmax, v, out=vmax)
                    np.sqrt(vmax, out=work)
                else:
                    np.sqrt(v, out=work)
                work /= dt(bias2_sqrt)
                work += dt(eps)
                np.divide(m, work, out=work)
                work *= dt(lr / bias1)
                p.data -= work


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): p = p * (1 - lr * weight_decay)
    before the Adam step. Default weight_decay 0.01, as torch's."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
