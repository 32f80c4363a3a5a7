"""Writes the function declarations of src/convcore/capi.pxd from the one list of C entry
points, csrc/include/convcore/convcore_api.h (see its header). Run it after changing the
list:

    python tools/gen_capi.py            # rewrite capi.pxd's generated block
    python tools/gen_capi.py --check    # exit 1 when capi.pxd is not up to date

tests/test_capi_list.py checks the installed capi.pxd against the installed list
independently of this script."""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIST = ROOT / "csrc" / "include" / "convcore" / "convcore_api.h"
PXD = ROOT / "src" / "convcore" / "capi.pxd"
BEGIN = "    # BEGIN entry points: generated from convcore_api.h by tools/gen_capi.py"
END = "    # END entry points"

ENTRY = re.compile(r"^CC_API\((.*?),\s*(cc_\w+),\s*\((.*?)\),\s*\((.*?)\)\)\s*$", re.M | re.S)


def entries(text):
    """(return type, name, [parameter declarations]) of every CC_API line, in order."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = []
    for ret, name, params, _args in ENTRY.findall(text):
        params = " ".join(params.split())
        plist = [] if params == "void" else [p.strip() for p in params.split(",")]
        out.append((" ".join(ret.split()), name, plist))
    return out


def cython_param(p):
    """'const int64_t x_shape[4]' -> 'const int64_t *x_shape' (Cython's spelling)."""
    m = re.match(r"^(.*?)(\w+)\[\d*\]$", p)
    return f"{m.group(1).rstrip()} *{m.group(2)}" if m else p


def render(items, width=96):
    """One declaration per entry point, wrapped between parameters."""
    lines = []
    for ret, name, plist in items:
        sep = "" if ret.endswith("*") else " "
        line = f"    {ret}{sep}{name}("
        indent = " " * len(line)
        params = [cython_param(p) for p in plist]
        for i, p in enumerate(params):
            piece = p + (", " if i < len(params) - 1 else "")
            if len(line) + len(piece.rstrip()) + 1 > width and not line.endswith("("):
                lines.append(line.rstrip())
                line = indent
            line += piece
        lines.append(line + ")")
    return lines


def updated(pxd_text, list_text):
    lines = pxd_text.split("\n")
    i, j = lines.index(BEGIN), lines.index(END)
    return "\n".join(lines[:i + 1] + render(entries(list_text)) + lines[j:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only report whether it is current")
    a = ap.parse_args(argv)
    old = PXD.read_text()
    new = updated(old, LIST.read_text())
    if a.check:
        if new != old:
            print(f"{PXD} is not up to date with {LIST}: run python tools/gen_capi.py")
            return 1
        return 0
    if new != old:
        PXD.write_text(new)
        print(f"wrote {PXD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
