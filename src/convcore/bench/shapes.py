"""The benchmark's shape list: Case, the parser of shapes.txt and the inputs of a shape."""

import dataclasses
import math
import zlib
from pathlib import Path

import numpy as np

SHAPES_FILE = Path(__file__).resolve().with_name("shapes.txt")


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    kind: str            # "conv" | "pool"
    op: str              # "conv" | "max" | "avg"
    n: int
    c: int
    h: int
    w: int
    k: int               # out channels (conv); == c for pooling
    kernel: int
    stride: int
    pad: int
    groups: int = 1

    def out_hw(self):
        oh = (self.h + 2 * self.pad - self.kernel) // self.stride + 1
        ow = (self.w + 2 * self.pad - self.kernel) // self.stride + 1
        return oh, ow

    def out_shape(self):
        return (self.n, self.k, *self.out_hw())

    def flop(self):
        """Direct-convolution flop count (multiply and add counted separately)."""
        if self.kind != "conv":
            return None
        oh, ow = self.out_hw()
        return 2 * self.n * self.k * oh * ow * (self.c // self.groups) * self.kernel ** 2

    def bytes_moved(self):
        """Compulsory traffic: every input and output element touched once (float32)."""
        n_out = math.prod(self.out_shape())
        n_in = self.n * self.c * self.h * self.w
        if self.kind == "conv":
            n_in += self.k * (self.c // self.groups) * self.kernel ** 2 + self.k
        return 4 * (n_in + n_out)

    def describe(self):
        if self.kind == "conv":
            return (f"{self.n}x{self.c}x{self.h}x{self.w} -> K={self.k} {self.kernel}x{self.kernel} "
                    f"s{self.stride} p{self.pad} g{self.groups}")
        return (f"{self.op}pool {self.n}x{self.c}x{self.h}x{self.w} {self.kernel}x{self.kernel} "
                f"s{self.stride} p{self.pad}")


def parse_shapes(text, source="<string>"):
    cases, section = [], None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            if section not in ("conv", "pool"):
                raise ValueError(f"{source}:{lineno}: unknown section [{section}]")
            continue
        f = line.split()
        try:
            if section == "conv":
                if len(f) != 10:
                    raise ValueError("want: name N C H W K kernel stride pad groups")
                n, c, h, w, k, ks, s, p, g = map(int, f[1:])
                cases.append(Case(f[0], "conv", "conv", n, c, h, w, k, ks, s, p, g))
            elif section == "pool":
                if len(f) != 9 or f[1] not in ("max", "avg"):
                    raise ValueError("want: name max|avg N C H W kernel stride pad")
                n, c, h, w, ks, s, p = map(int, f[2:])
                cases.append(Case(f[0], "pool", f[1], n, c, h, w, c, ks, s, p, 1))
            else:
                raise ValueError("shape line before a [conv] or [pool] section")
        except ValueError as exc:
            raise ValueError(f"{source}:{lineno}: {exc}: {raw.strip()!r}") from None
    return cases


def load_shapes(path):
    if path is not None:
        p = Path(path)
        return parse_shapes(p.read_text(), str(p)), str(p)
    return parse_shapes(SHAPES_FILE.read_text(), str(SHAPES_FILE)), str(SHAPES_FILE)


def make_inputs(case):
    """Deterministic inputs per shape name, scaled so outputs are O(1)."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    x = rng.standard_normal((case.n, case.c, case.h, case.w), dtype=np.float32)
    if case.kind != "conv":
        return {"x": x}
    fan_in = (case.c // case.groups) * case.kernel ** 2
    wt = rng.standard_normal((case.k, case.c // case.groups, case.kernel, case.kernel),
                             dtype=np.float32) * np.float32(1.0 / math.sqrt(fan_in))
    b = rng.standard_normal(case.k, dtype=np.float32) * np.float32(0.1)
    return {"x": x, "w": wt, "b": b}
