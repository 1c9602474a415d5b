"""The layers stay true: the import graph of ``recsys/`` read from the source, every import included
(module level, inside functions, under ``TYPE_CHECKING``).

data -> models -> evaluation -> app -> ui / commands, imports only downward; the foundation (errors,
jsonable, fileio) imports nothing of ``recsys``; only ``recsys/ui`` and ``pages/`` import Streamlit; no
import cycles between modules (module-level imports).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "recsys"

# Layer of each top-level part of recsys; a module may import its own layer and lower ones.
LAYERS: dict[str, int] = {
    "errors": 0, "jsonable": 0, "fileio": 0,
    "data": 1,
    "models": 2,
    "evaluation": 3,
    "app": 4,
    "ui": 5, "commands": 5,
    "cli": 6, "__main__": 6, "__init__": 6,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[str, bool]]:
    """``(imported module, at module level)`` for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: list[tuple[str, bool]] = []
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((module, id(node) in top_level))
            # `from recsys.app import charts` imports the module recsys.app.charts
            found += [(f"{module}.{alias.name}", id(node) in top_level) for alias in node.names]
    return found


def _graph() -> dict[str, list[tuple[str, bool]]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        graph[name] = [(m, top) for m, top in _imports(path) if m in modules and m != name]
    return graph


GRAPH = _graph()


def test_the_graph_is_read() -> None:
    assert len(GRAPH) > 40
    assert ("recsys.data.interactions", True) in GRAPH["recsys.models.base"]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_only_go_down(module: str) -> None:
    own = LAYERS[_part(module)]
    upward = [m for m, _ in GRAPH[module] if LAYERS[_part(m)] > own]
    assert not upward, f"{module} (layer {own}) imports higher layers: {upward}"


def test_ui_and_commands_do_not_import_each_other() -> None:
    crossing = [
        (m, i) for m, deps in GRAPH.items() for i, _ in deps
        if {_part(m), _part(i)} == {"ui", "commands"}
    ]
    assert not crossing


def test_only_the_streamlit_adapter_and_pages_import_streamlit() -> None:
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        uses = any(m.split(".")[0] == "streamlit" for m, _ in _imports(path))
        allowed = path.is_relative_to(PACKAGE / "ui") or path.parent.name == "pages" or path.name == "app.py"
        if uses and not allowed:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
    assert any(m == "streamlit" for p in (PACKAGE / "ui").rglob("*.py") for m, _ in _imports(p))


def test_pages_call_into_recsys_not_the_cli() -> None:
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        bad = [m for m, _ in _imports(path) if m.startswith("recsys.commands") or m.split(".")[0] == "torch"]
        assert not bad, f"{path.name} imports {bad}"


def test_no_import_cycles() -> None:
    edges = {m: {i for i, top in deps if top} for m, deps in GRAPH.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(edges[node]):
            # importing a package's child from the package's own __init__ is how packages re-export
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycle.extend([*stack[stack.index(nxt):], nxt] if nxt in stack else [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, [*stack, nxt]):
                return True
        state[node] = 2
        return False

    for start in sorted(edges):
        if state.get(start) is None and visit(start, [start]):
            break
    assert not cycle, " -> ".join(cycle)


def test_modules_stay_small() -> None:
    big = {
        str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not big
