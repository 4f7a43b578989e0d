"""The shape of the package: no import cycle, no file too long to read, bench/ apart from tests/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "utoday_sentiment"


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """Modules of the package that `path` imports, at load or inside a function (a lazy import
    is still a dependency, and a cycle through one breaks as soon as both sides load); not those
    under TYPE_CHECKING, which only the type checker follows."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text())]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else (
                node.module or ""
            )
            if target.startswith("utoday_sentiment"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("utoday_sentiment"))
    return found


def import_cycles(package: Path) -> list[list[str]]:
    """Every import cycle among the modules under `package` (each as a closed path)."""
    modules = {_module_name(p, package): p for p in package.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path, name) if m in modules and m != name}
        for name, path in modules.items()
    }
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_no_import_cycle():
    assert import_cycles(PACKAGE) == []


def test_a_lazy_import_cycle_is_caught(tmp_path):
    """The check sees a cycle that runs through an import inside a function."""
    root = tmp_path / "utoday_sentiment"
    (root / "cli").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "cli" / "__init__.py").write_text("")
    (root / "cli" / "a.py").write_text("from .b import g\n\ndef f():\n    return g()\n")
    (root / "cli" / "b.py").write_text("def g():\n    from .a import f\n    return f\n")
    (root / "cli" / "c.py").write_text("from typing import TYPE_CHECKING\n"
                                       "if TYPE_CHECKING:\n    from .a import f\n")
    assert import_cycles(root) == [["utoday_sentiment.cli.a", "utoday_sentiment.cli.b",
                                    "utoday_sentiment.cli.a"]]


def test_no_source_file_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}


def test_bench_does_not_import_tests():
    for path in (ROOT / "bench").rglob("*.py"):
        assert "from tests" not in path.read_text() and "import tests" not in path.read_text()


WALL_CLOCK = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.time)\(")


def test_now_comes_from_the_clock_only():
    """Code and tests take "now" and "today" from utoday_sentiment.clock, which `--clock` moves;
    a direct read of the wall clock would slip past the moved-clock runs of .ci/run."""
    allowed = {PACKAGE / "clock.py", ROOT / "tests" / "conftest.py"}  # the clock; --clock itself
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("src", "tests", "fakes", "bench")
        for path in (ROOT / folder).rglob("*.py") if path not in allowed
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert found == []
