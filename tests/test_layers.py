"""The code's layers (README «Architettura»): every import runs down, never back up.

Read from the source, not from the running process: a module is given a layer by its name (LAYERS below), and each
of its imports must reach its own layer or a lower one. The pure core imports no Django; no module takes a private
name (`_x`) from another module; imports inside functions are kept to what Django requires (AppConfig.ready).
A new module of a domain package gets its package's layer; a new interface module (views, urls, forms, admin, …)
the top one. A new top-level package must be placed here, or the test says so.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module belongs to the first layer whose rule matches it.
CORE = {"indicators.notation", "indicators.formula", "indicators.scoring", "perfplan.formats"}
LAYERS = ["core", "infrastructure", "indicators", "plans", "consuntivi", "workbook", "reports", "jobs", "interface"]
PACKAGE_LAYER = {
    "perfplan": "infrastructure",  # settings, roles, permissions, audit trail, limits, spreadsheets: no domain model
    "indicators": "indicators",  # what an indicator is and how it is stored (above: the pure core)
    "plans": "plans",  # ente, units, the tree, lifecycle, editing
    "consuntivi": "consuntivi",  # rounds, values, review, evidence, and the scores that need them
    "workbook": "workbook",  # the workbook format, read and written: plan and consuntivi imports and exports
    "reports": "reports",  # the Relazione
    "jobs": "jobs",  # long work in the background (PDFs, imports, reminders) with its progress, on django-tasks
}
# The interface: pages, forms, the admin, commands, template tags, the URL map and the whole-app helpers.
INTERFACE_MODULES = {"views", "urls", "forms", "admin", "page", "tree_html", "score_views", "score_urls"}
INTERFACE_PACKAGES = {"templatetags", "management"}
INTERFACE_EXTRA = {"perfplan.urls", "perfplan.middleware", "perfplan.audit_views", "perfplan.audit_selectors"}
INTERFACE_EXTRA |= {"perfplan.demo"}  # fills every app, as the seed_demo command that calls it
INTERFACE_EXTRA |= {"perfplan.health"}  # the health check's view
INTERFACE_EXTRA |= {"plans.home"}  # the home page gathers every app's reads
# The few shared building blocks of the interface that sit in the infrastructure on purpose.
INFRASTRUCTURE_EXTRA = {"perfplan.forms", "perfplan.admin_base"}
# Imports inside a function: only where Django asks for them (signals and checks wired in AppConfig.ready).
FUNCTION_IMPORTS_ALLOWED = {"perfplan.apps", "plans.apps"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported
    names: tuple[str, ...]
    line: int
    in_function: bool


def layer_of(module: str) -> str:
    parts = module.split(".")
    if module in CORE:
        return "core"
    if module in INFRASTRUCTURE_EXTRA:
        return "infrastructure"
    if module in INTERFACE_EXTRA or parts[-1] in INTERFACE_MODULES or INTERFACE_PACKAGES & set(parts[1:]):
        return "interface"
    if parts[0] not in PACKAGE_LAYER:
        raise AssertionError(f"{module}: a new top-level package; give it a layer in tests/test_layers.py")
    return PACKAGE_LAYER[parts[0]]


def rank(module: str) -> int:
    return LAYERS.index(layer_of(module))


@cache
def app_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGE_LAYER:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts:
                continue
            name = ".".join(relative.parts)
            found[name.removesuffix(".__init__")] = path
    return found


class _ImportVisitor(ast.NodeVisitor):
    """Every import of a module, noting those inside a function (`if TYPE_CHECKING:` blocks are module level)."""

    def __init__(self, module: str, modules: dict[str, Path]) -> None:
        self.module, self.modules, self.depth, self.found = module, modules, 0, []

    def visit_FunctionDef(self, node: ast.AST) -> None:  # noqa: N802 - ast.NodeVisitor's naming
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802
        if node.module and not node.level:
            # `from plans import editing`: the module plans.editing, when it is one
            targets = [node.module] + [
                f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in self.modules
            ]
            self._add(targets, tuple(a.name for a in node.names), node.lineno)

    def visit_Import(self, node: ast.Import) -> None:  # noqa: N802
        self._add([a.name for a in node.names], (), node.lineno)

    def _add(self, targets: list[str], names: tuple[str, ...], line: int) -> None:
        for target in targets:
            if target.split(".")[0] in PACKAGE_LAYER:
                self.found.append(Import(self.module, target, names, line, self.depth > 0))


@cache
def imports() -> tuple[Import, ...]:
    modules = app_modules()
    found = []
    for module, path in modules.items():
        visitor = _ImportVisitor(module, modules)
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        found.extend(visitor.found)
    return tuple(found)


def test_every_module_is_read():
    """The test reads the real tree: if this fails, the other tests would pass on nothing."""
    modules = app_modules()
    assert {"plans.models", "consuntivi.models", "workbook.reader", "reports.selectors", "perfplan.roles"} <= set(
        modules
    )
    assert len(imports()) > 250


def test_every_module_has_a_layer():
    for module in app_modules():
        assert layer_of(module) in LAYERS


@pytest.mark.parametrize(
    "module, layer",
    [
        ("indicators.scoring", "core"),
        ("indicators.models", "indicators"),
        ("plans.editing", "plans"),
        ("plans.views", "interface"),
        ("consuntivi.templatetags.consuntivi", "interface"),
        ("consuntivi.management.commands.score_plan", "interface"),
        ("workbook.plan_import", "workbook"),
        ("perfplan.audit", "infrastructure"),
        ("perfplan.urls", "interface"),
    ],
)
def test_layers_are_assigned_as_the_readme_says(module, layer):
    assert layer_of(module) == layer


def test_no_import_runs_back_up():
    upward = [
        f"{i.module} ({layer_of(i.module)}) importa {i.target} ({layer_of(i.target)}), riga {i.line}"
        for i in imports()
        if rank(i.target) > rank(i.module)
    ]
    assert upward == []


def test_domain_packages_import_one_way():
    """Leaving the interface aside, the packages form a chain: no two import each other, even within a layer."""
    edges = {
        (i.module.split(".")[0], i.target.split(".")[0])
        for i in imports()
        if layer_of(i.module) != "interface" and i.module.split(".")[0] != i.target.split(".")[0]
    }
    both_ways = sorted(f"{a} ↔ {b}" for a, b in edges if (b, a) in edges and a < b)
    # perfplan holds the core's formatting and the infrastructure; indicators the core and its models: the core
    # modules may be reached from perfplan only if they import nothing back, which test_core_is_plain_python checks.
    assert both_ways == []


def test_core_is_plain_python():
    """The scoring core reads targets, computes formulas and rolls scores up with the standard library alone."""
    stdlib = set(sys.stdlib_module_names)
    for module in CORE:
        tree = ast.parse(app_modules()[module].read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                root = node.module.split(".")[0]
                assert root in stdlib or node.module in CORE or root == "__future__", (module, node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] in stdlib, (module, alias.name)


def test_no_private_name_crosses_modules():
    crossing = [
        f"{i.module} importa {name} da {i.target}, riga {i.line}"
        for i in imports()
        for name in i.names
        if name.startswith("_") and i.target != i.module
    ]
    assert crossing == []


def test_imports_inside_functions_only_where_django_requires():
    hidden = [
        f"{i.module} importa {i.target} dentro una funzione, riga {i.line}"
        for i in imports()
        if i.in_function and i.module not in FUNCTION_IMPORTS_ALLOWED
    ]
    assert hidden == []


def test_the_rules_catch_a_wrong_import():
    """The checks above fail on the kind of import they are for (a plan module reaching into consuntivi)."""
    wrong = Import("plans.editing", "consuntivi.models", ("Measurement",), 1, True)
    assert rank(wrong.target) > rank(wrong.module)
    assert wrong.module not in FUNCTION_IMPORTS_ALLOWED
    assert layer_of("workbook.reader") == "workbook" and rank("workbook.reader") > rank("consuntivi.services")
