"""The package's modules import each other without a cycle, counting every import statement
(at module level and inside functions): each module can be read, and changed, knowing only
what it imports."""
import ast
import os
import pathlib

import convcore

ROOT = pathlib.Path(os.path.dirname(convcore.__file__))


def _modules():
    """module name -> source path of every module of the installed package (None for the
    compiled ones, which import no other module of the package)."""
    out = {}
    for path in ROOT.rglob("*"):
        if path.suffix == ".py":
            rel = path.relative_to(ROOT.parent).with_suffix("")
        elif path.suffix in (".so", ".pyd"):
            rel = path.relative_to(ROOT.parent).with_name(path.name.split(".")[0])
            path = None
        else:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name, path, modules):
    """The package modules that module `name` imports (explicitly named ones: importing a
    submodule also runs its package's __init__, which is not a dependency of design)."""
    if path is None:
        return set()
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def _cycle(graph):
    """One cycle of the graph as a list of modules, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    # the graph is the real one: the layers import their base class, the optimizers Parameter
    assert "convcore.nn.module" in graph["convcore.nn.conv"]
    assert "convcore.nn.parameter" in graph["convcore.optim"]
    assert {"convcore._args", "convcore._core"} <= graph["convcore.functional"]
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
