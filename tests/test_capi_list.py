"""The C API comes from one list (convcore/convcore_api.h): the Cython declarations that
other packages cimport (convcore/capi.pxd) and the kernel slots that show_config names must
agree with it. Read from the installed package (headers under convcore.get_include()), or
from the source tree for an editable install, which has no copied headers."""
import os
import pathlib
import re

import convcore
import convcore._core as core

HERE = pathlib.Path(__file__).resolve().parent


def _header(name):
    for d in (pathlib.Path(convcore.get_include()) / "convcore",
              HERE.parent / "csrc" / "include" / "convcore"):
        if (d / name).is_file():
            return (d / name).read_text()
    raise AssertionError(f"convcore/{name} is neither installed nor in the source tree")


def _pxd():
    return (pathlib.Path(os.path.dirname(convcore.__file__)) / "capi.pxd").read_text()


def _norm_type(t):
    """'const int64_t x_shape[4]' and 'const int64_t *x_shape' -> ('const int64_t *', 'x_shape')."""
    t = " ".join(t.split())
    m = re.match(r"^(.*?)\s*(\**)\s*(\w+)\s*(\[\d*\])?$", t)
    base, stars, name, arr = m.group(1), m.group(2), m.group(3), m.group(4)
    return (base + " " + "*" * (len(stars) + (1 if arr else 0))).strip(), name


def list_entries():
    """(return type, name, [(type, name)]) per CC_API line of the list, in order."""
    text = re.sub(r"/\*.*?\*/", "", _header("convcore_api.h"), flags=re.S)
    out = []
    for ret, name, params, args in re.findall(
            r"^CC_API\((.*?),\s*(cc_\w+),\s*\((.*?)\),\s*\((.*?)\)\)\s*$", text, re.M | re.S):
        params = " ".join(params.split())
        plist = [] if params == "void" else [_norm_type(p) for p in params.split(",")]
        arglist = [a.strip() for a in args.split(",") if a.strip()]
        assert arglist == [p[1] for p in plist], f"{name}: arguments {arglist} are not its parameters"
        out.append((" ".join(ret.split()), name, plist))
    return out


def pxd_entries():
    """(return type, name, [(type, name)]) of the functions declared in capi.pxd."""
    text = _pxd()
    out = []
    for ret, name, params in re.findall(r"^    ((?:const )?\w+ \*?)(cc_\w+)\(([^)]*)\)", text, re.M):
        params = " ".join(params.split())
        plist = [_norm_type(p) for p in params.split(",")] if params else []
        out.append((" ".join(ret.split()), name, plist))
    return out


def test_the_list_is_read():
    names = [e[1] for e in list_entries()]
    assert len(names) >= 32 and len(set(names)) == len(names)
    assert {"cc_conv2d_f32", "cc_max_pool2d_backward_f64", "cc_kernel_slot_name"} <= set(names)


def test_capi_pxd_declares_every_entry_point_as_listed():
    assert pxd_entries() == list_entries()


def test_kernel_slots_are_the_listed_ones():
    text = _header("convcore.h")
    block = re.search(r"#define CC_KERNEL_SLOTS\(X\)(.*?)\n\n", text, re.S).group(1)
    slots = re.findall(r"X\((\w+), (\w+)\)", block)
    assert len(slots) >= 12
    assert list(core.kernel_names()) == [name for _, name in slots]
    for ident, name in slots:
        assert ident.lower() == name
    # every slot names a kernel, on every target this CPU runs
    previous = core.get_target()
    try:
        for t in core.supported_targets():
            core.set_target(t)
            for slot, kernel in core.kernel_names().items():
                assert kernel == "none" or kernel.endswith("__" + t), (t, slot, kernel)
    finally:
        core.set_target(previous)


def test_status_codes_are_the_headers():
    header = set(re.findall(r"^\s*(CC_(?:OK|ERR_\w+)) = ", _header("convcore.h"), re.M))
    block = re.search(r"ctypedef enum cc_status:\n((?:        \w+\n)+)", _pxd()).group(1)
    assert set(block.split()) == header
