"""The architecture rules cover every module: each top-level module of resim has its place in
the import-linter layers, no two top-level packages import each other (directly or around a
loop), and no source file grows past what one reader takes in at once."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "resim"
MAX_LINES = 500
# Alembic's revisions and the translation catalogs are written by tools, not read as code.
GENERATED = (SOURCE / "db" / "migrations", SOURCE / "i18n" / "locale")


def top_level_modules() -> set[str]:
    """Every entry of src/resim that Python imports: a package (a folder with
    ``__init__.py``) or a ``.py`` module, ``__init__`` itself aside."""
    found = set()
    for entry in SOURCE.iterdir():
        if entry.is_dir() and (entry / "__init__.py").exists():
            found.add(entry.name)
        elif entry.suffix == ".py" and entry.stem != "__init__":
            found.add(entry.stem)
    return found


def contracts() -> list[dict[str, Any]]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        config = tomllib.load(file)
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def exhaustive_layers() -> dict[str, Any]:
    """The contract that places every top-level module of resim in a layer."""
    for contract in contracts():
        if (
            contract["type"] == "layers"
            and contract.get("containers") == ["resim"]
            and contract.get("exhaustive") is True
        ):
            return contract
    pytest.fail("pyproject.toml has no exhaustive layers contract with containers = ['resim']")


def layer_members(layer: str) -> list[str]:
    return [name.strip() for name in re.split(r"[|:]", layer)]


def test_every_top_level_module_has_a_layer() -> None:
    layers = exhaustive_layers()["layers"]
    placed = [name for layer in layers for name in layer_members(layer)]
    missing = sorted(top_level_modules() - set(placed))
    assert not missing, f"place these modules in the layers contract of pyproject.toml: {missing}"
    unknown = sorted(set(placed) - top_level_modules())
    assert not unknown, f"the layers contract names modules that do not exist: {unknown}"
    twice = sorted({name for name in placed if placed.count(name) > 1})
    assert not twice, f"modules placed in more than one layer: {twice}"


def test_kit_alone_at_the_bottom_so_it_imports_nothing_of_resim() -> None:
    assert exhaustive_layers()["layers"][-1] == "kit"


def layers_contract() -> LayersContract:
    """The configured contract, as lint-imports builds it (which reads booleans as text)."""
    options = {
        key: str(value).lower() if isinstance(value, bool) else value
        for key, value in exhaustive_layers().items()
    }
    return LayersContract(
        name=options["name"],
        session_options={"root_packages": ["resim"]},
        contract_options=options,
    )


def test_the_layers_contract_refuses_a_feature_imported_from_kit() -> None:
    graph = grimp.build_graph("resim")
    assert layers_contract().check(graph, verbose=False).kept
    graph.add_import(importer="resim.kit.ids", imported="resim.camara.service")
    assert not layers_contract().check(graph, verbose=False).kept


def package_imports(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Which top-level package imports which, any module of one importing any of the other."""
    packages = sorted(graph.find_children("resim"))
    return {
        importer: {
            imported
            for imported in packages
            if imported != importer
            and graph.direct_import_exists(importer=importer, imported=imported, as_packages=True)
        }
        for importer in packages
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan): each holds a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycle_between_top_level_packages() -> None:
    graph = grimp.build_graph("resim")
    edges = package_imports(graph)
    found = cycles(edges)
    lines = []
    for group in found:
        lines.append("cycle: " + ", ".join(group))
        for importer in group:
            for imported in sorted(edges[importer] & set(group)):
                chain = graph.find_shortest_chain(
                    importer=importer, imported=imported, as_packages=True
                )
                lines.append(f"  {importer} -> {imported}: {' -> '.join(chain or ())}")
    assert not found, "\n".join(lines)


def test_cycles_finds_a_loop_around_three_packages() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_source_file_above_500_lines() -> None:
    long = []
    for path in sorted(SOURCE.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if any(path.is_relative_to(folder) for folder in GENERATED):
            continue
        try:
            count = len(path.read_text(encoding="utf-8").splitlines())
        except UnicodeDecodeError:
            continue  # images and other binary assets
        if count > MAX_LINES:
            long.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert not long, f"split these files (at most {MAX_LINES} lines):\n" + "\n".join(long)
