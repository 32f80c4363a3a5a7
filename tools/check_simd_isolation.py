"""Checks that AVX code in an x86-64 convcore binary lives only in the AVX kernels, so that
a CPU without AVX never meets an instruction it cannot execute.

    python tools/check_simd_isolation.py FILE.so [OBJDUMP]

Disassembles FILE with objdump and attributes every instruction to its function symbol:
- functions named ...__avx512... may use anything;
- functions named ...__avx2... may use ymm registers but no zmm and no AVX-512 mask
  registers (%k0-%k7);
- every other function may use neither ymm/zmm/mask registers nor any VEX/EVEX-encoded
  instruction (v-prefixed mnemonics: vmovss, vfmadd..., vzeroupper), since the base
  kernels and the drivers run on every x86-64 CPU.
Prints the functions that use wide registers, per target; exits non-zero on a violation
or when the binary has no function symbols to attribute instructions to.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict

FUNC = re.compile(r"^[0-9a-f]+ <(?P<name>[^>]+)>:$")
INSN = re.compile(r"^\s*[0-9a-f]+:\s+(?P<mnemonic>[a-z][a-z0-9.]*)\s*(?P<operands>.*)$")
YMM = re.compile(r"%ymm\d+")
ZMM = re.compile(r"%zmm\d+")
MASK = re.compile(r"%k[0-7]\b")
# v-prefixed mnemonics that are not VEX/EVEX encoded (segment verification)
NOT_VEX = {"verr", "verw"}


def target_of(function: str) -> str:
    if "__avx512" in function:
        return "avx512"
    if "__avx2" in function:
        return "avx2"
    return "base"


def main(argv: list[str]) -> int:
    path = argv[1]
    objdump = argv[2] if len(argv) > 2 else "objdump"
    text = subprocess.run([objdump, "-d", "--no-show-raw-insn", path], check=True,
                          capture_output=True, text=True).stdout
    function = None
    functions = 0
    wide = defaultdict(lambda: defaultdict(int))   # target -> function -> count
    violations = defaultdict(set)                  # function -> what it used
    for line in text.splitlines():
        m = FUNC.match(line)
        if m:
            function = m.group("name")
            functions += 1
            continue
        m = INSN.match(line)
        if not m or function is None:
            continue
        mnemonic, operands = m.group("mnemonic"), m.group("operands")
        target = target_of(function)
        uses_ymm, uses_zmm = bool(YMM.search(operands)), bool(ZMM.search(operands))
        uses_mask = bool(MASK.search(operands))
        if uses_ymm or uses_zmm:
            wide[target][function] += 1
        if target == "avx512":
            continue
        if uses_zmm:
            violations[function].add("zmm")
        if uses_mask:
            violations[function].add("mask register")
        if target == "base":
            if uses_ymm:
                violations[function].add("ymm")
            if mnemonic.startswith("v") and mnemonic not in NOT_VEX:
                violations[function].add(f"VEX instruction {mnemonic}")
    if functions < 10:
        print(f"{path}: only {functions} function symbols: cannot attribute instructions "
              "(stripped binary?)", file=sys.stderr)
        return 1
    for target in ("avx2", "avx512", "base"):
        names = sorted(wide[target])
        print(f"{target:7} functions using ymm/zmm: {len(names)}"
              + (f" ({', '.join(names)})" if names else ""))
    if violations:
        for function, used in sorted(violations.items()):
            print(f"VIOLATION {function} ({target_of(function)} code) uses {', '.join(sorted(used))}",
                  file=sys.stderr)
        return 1
    print(f"{functions} functions: wide registers and VEX/EVEX instructions only in the "
          "avx2/avx512 kernels")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
