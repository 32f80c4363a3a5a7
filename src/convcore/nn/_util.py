"""Helpers shared by the modules and the losses."""
from __future__ import annotations


def forward_state(owner, state):
    """state, what owner's forward kept for its backward; RuntimeError when there is none
    (backward called before forward)."""
    if state is None:
        raise RuntimeError(f"{type(owner).__name__}.backward called before forward")
    return state
