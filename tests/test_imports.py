"""The import graph of our own packages has no cycle. The graph is read from the source with
`ast`: an edge for every import a module makes when it is imported (at module level, including
inside a top-level `if` or `try`), to the imported module and to each package Python must
initialise on the way there. An import inside a function would hide a cycle instead of breaking
it, so those of our own modules are refused unless listed in LAZY below, each with its reason.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("foundation", "archive", "indexer", "checklist", "yingjian")  # foundation/: issue 20

# (importing module, imported module): imports of our own modules made inside a function, each
# for a reason a reviewer accepts. A new one, or an old one gone, fails the test: keep it true.
# archive/, indexer/ and checklist/ have none; in yingjian/ only the heavy parts a command or
# the report loads when it needs them.
LAZY: dict[tuple[str, str], str] = {
    # -- the command line starts fast: each command loads its own heavy part (Flask, the report
    #    writers and their openpyxl / reportlab, the watcher) only when it runs ------------------
    ("yingjian.cli.accounts", "yingjian.web"): "Flask, for `serve` only",
    ("yingjian.cli.accounts", "yingjian.web.server"): "Flask's server, for `serve` only",
    ("yingjian.cli.accounts", "yingjian.web.site"): "Flask, for `serve` in a province's folder only",
    ("yingjian.cli.accounts", "yingjian.learning"): "the background learner, for `serve` only",
    ("yingjian.cli.archive", "yingjian.watching"): "the watcher (watchdog), for `watch` only",
    ("yingjian.cli.archive", "yingjian.demo"): "the demo, for `demo` only",
    ("yingjian.cli.notices", "yingjian.notices"): "the notice writers (docx), for `notices` only",
    ("yingjian.cli.readiness", "yingjian.report"): "the report writers (openpyxl, reportlab)",
    ("yingjian.demo", "yingjian.report"): "the report writers (openpyxl, reportlab)",
    ("yingjian.web.report", "yingjian.report"): "the report writers (openpyxl, reportlab)",
    ("yingjian.report", "yingjian.report.binder"): "the binder's PDF writer, when a binder is made",
    ("yingjian.report", "yingjian.report.excel"): "openpyxl, when a workbook is made",
    ("yingjian.report", "yingjian.report.html"): "the page writer, when a page is made",
    ("yingjian.report", "yingjian.report.volumes"): "the volumes' PDF writer, when volumes are made",
}


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        if not (ROOT / pkg).is_dir():
            continue
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """Our modules that `node`, written in `module`, names."""
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        if node.level:
            base = module.split(".")
            if not _is_package(module):
                base = base[:-1]
            base = base[:len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        submodules = {f"{origin}.{alias.name}" for alias in node.names}
        names = submodules & MODULES.keys()
        if names != submodules:     # a name defined in `origin` itself: it must have run that far
            names.add(origin)
    return {n for n in names if n in MODULES}


def _imports(module: str) -> tuple[set[str], set[str]]:
    """The modules `module` imports when it is imported, and those it imports in a function."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    eager, lazy = set(), set()

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                (lazy if in_function else eager).update(_targets(module, child))
            walk(child, in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    walk(tree, False)
    return eager, lazy


def import_graph() -> dict[str, set[str]]:
    """Module → the modules importing it runs first. Importing `a.b.c` from outside `a.b`
    initialises `a.b` too, so that is an edge as well; a package's own modules find it already
    under way, so theirs is not (unless they import a name from it: that edge is explicit)."""
    graph = {}
    for module in MODULES:
        eager, _ = _imports(module)
        edges = set()
        mine = set(_ancestors(module))
        for target in eager:
            edges.add(target)
            edges.update(p for p in _ancestors(target) if p not in mine)
        edges.discard(module)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a → … → a) for each strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_one_cycle(graph, group) for group in groups]


def _one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest way round from the group's first module back to itself."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        step = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    step.append(w)
        frontier = step
    raise AssertionError(f"no cycle in {group}")


def test_the_packages_import_each_other_without_a_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" → ".join(c) for c in found)


def test_our_modules_are_imported_in_a_function_only_for_a_listed_reason():
    lazy = {(module, target) for module in MODULES for target in _imports(module)[1]
            if target != module}
    unlisted = sorted(lazy - LAZY.keys())
    assert not unlisted, ("imports of our own modules inside a function (move them to the top of "
                          "the module, or list them in LAZY with the reason):\n"
                          + "\n".join(f"{m} imports {t}" for m, t in unlisted))
    gone = sorted(LAZY.keys() - lazy)
    assert not gone, "LAZY lists imports that are no longer made:\n" + "\n".join(
        f"{m} imports {t}" for m, t in gone)


def test_the_cycle_finder_names_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
