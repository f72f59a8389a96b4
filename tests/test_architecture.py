"""The layering of massdm, checked over its import graph (read with `ast`, nothing is imported).

Every `import` and `from … import` in massdm/**/*.py counts: at module level, inside a function
(a lazy import is still a dependency) and under `if TYPE_CHECKING:` (a type-only import still ties
the two modules' shapes together, and is how an import circle usually hides).

| rule             | what it says                                                                                     |
|------------------|--------------------------------------------------------------------------------------------------|
| web-at-the-edge  | `fastapi` and `starlette` are imported only in massdm/api/, massdm/console/ and massdm/app.py    |
|                  | (the composition root that puts the two edges together)                                         |
| sql-in-the-store | `sqlalchemy` and `alembic` are imported only in massdm/store/ (its migrations included); other   |
|                  | modules may import exactly `Connection` and `Engine` from `sqlalchemy` itself, the handles that  |
|                  | store functions take (annotations and passing them on), nothing else: no `select`, `text`,       |
|                  | `insert`, `update`, `func`, `bindparam`, no `sqlalchemy.engine`/`.exc`/`.orm`, no bare           |
|                  | `import sqlalchemy`                                                                              |
| pure-domain      | massdm/domain/ imports only the standard library, massdm.domain.* and massdm.errors              |
| webhooks-below-  | massdm/webhooks/ does not import massdm.services (services write events through the outbox;     |
| services         | the outbox must not reach back up)                                                               |
| cli-via-services | massdm/cli/ does not import massdm.store, except massdm.store.db: the CLI is an edge, like the   |
|                  | API, and owns its engines, migrations and transactions (`engine_for`, `migrate`, `transaction`); |
|                  | what it reads or changes goes through massdm.services                                            |
| layering         | massdm.store and massdm.domain never import massdm.services, massdm.api or massdm.cli;          |
|                  | massdm.services never imports massdm.api or massdm.cli                                           |
| routes-apart     | a module of massdm/api/routes/ never imports another one: what two resources share lives beside |
|                  | them in massdm/api/ (urls, sent_pages, ...)                                                     |
| console-on-api   | massdm/api/ never imports massdm/console/: the console is built on the API's edge (its unit of   |
|                  | work, its request models), so the arrow runs one way; massdm/app.py installs both                |
| sandbox-on-top   | massdm/sandbox/ (the twin's controls) is imported only by the edges (api, console, cli,          |
|                  | testing): the product beneath (store, domain, services, delivery, webhooks, media) never depends |
|                  | on it, so outside sandbox mode none of it can run; what the worker runs for it is handed in      |
|                  | (WorkerConfig)                                                                                   |

KNOWN_VIOLATIONS lists the imports that break a rule today, by name. The suite fails on any
violation not in it, and on any entry in it that no longer occurs, so the list only shrinks.

A test rather than import-linter contracts: it runs with `make test`, and it can tell the names
taken from one module apart (`from sqlalchemy import Connection` is allowed where
`from sqlalchemy import select` is not), which contracts over modules cannot.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    importer: str  # the module whose import breaks the rule
    imported: str  # what it imports: a module, or module.name for a name taken from outside massdm


# To be removed by the request-path rework (another branch is fixing each of these): do not add
# to this list, fix the import instead.
KNOWN_VIOLATIONS: set[Violation] = set()  # none today: keep it so

WEB = ("fastapi", "starlette")
WEB_HOMES = ("api", "console", "app")  # layers of the package (`app`: the module massdm/app.py)
SQL = ("sqlalchemy", "alembic")
BENEATH_THE_SANDBOX = ("store", "domain", "services", "delivery", "webhooks", "media")
SQL_HANDLES = {"Connection", "Engine"}  # importable from `sqlalchemy` anywhere: annotations, passing them on


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the module imported (within the package: the submodule, when a name is one)
    name: str | None  # the name taken from a module outside the package (`from x import name`)

    @property
    def shown(self) -> str:
        return f"{self.target}.{self.name}" if self.name else self.target


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of `package` under `root`, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the importer's own package, up level - 1
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    yield Import(module, submodule, None)
                elif source in modules or source.split(".")[0] == module.split(".")[0]:
                    yield Import(module, source, None)
                else:
                    yield Import(module, source, alias.name)


def _breaks(imp: Import, package: str) -> Iterator[str]:
    """The rules that one import breaks."""
    importer, target, top = imp.importer, imp.target, imp.target.split(".")[0]

    def in_layer(module: str, *layers: str) -> bool:
        return _within(module, *(f"{package}.{layer}" for layer in layers))

    if top in WEB and not in_layer(importer, *WEB_HOMES):
        yield "web-at-the-edge"
    if top in SQL and not in_layer(importer, "store") and not (target == "sqlalchemy" and imp.name in SQL_HANDLES):
        yield "sql-in-the-store"
    if in_layer(importer, "domain"):
        stdlib = top in sys.stdlib_module_names and top != package
        if not (stdlib or in_layer(target, "domain", "errors")):
            yield "pure-domain"
    if in_layer(importer, "webhooks") and in_layer(target, "services"):
        yield "webhooks-below-services"
    if in_layer(importer, "cli") and in_layer(target, "store") and not in_layer(target, "store.db"):
        yield "cli-via-services"
    if in_layer(importer, "store", "domain") and in_layer(target, "services", "api", "cli"):
        yield "layering"
    if in_layer(importer, "services") and in_layer(target, "api", "cli"):
        yield "layering"
    if in_layer(importer, "api.routes") and in_layer(target, "api.routes") and target != importer:
        yield "routes-apart"
    if in_layer(target, "sandbox") and in_layer(importer, *BENEATH_THE_SANDBOX):
        yield "sandbox-on-top"
    if in_layer(importer, "api") and in_layer(target, "console"):
        yield "console-on-api"


def find_violations(root: Path, package: str = "massdm") -> set[Violation]:
    """Every import in `root/package` that breaks a rule of this module's docstring."""
    modules = _modules(root, package)
    return {
        Violation(rule, imp.importer, imp.shown)
        for module, path in modules.items()
        for imp in _imports(module, path, modules)
        for rule in _breaks(imp, package)
    }


def _listed(violations: set[Violation]) -> str:
    return "\n".join(f"  {v.rule}: {v.importer} imports {v.imported}" for v in sorted(violations))


def test_no_import_breaks_a_rule_beyond_the_known_ones():
    new = find_violations(REPO) - KNOWN_VIOLATIONS
    assert not new, f"imports that break the layering (tests/test_architecture.py says why):\n{_listed(new)}"


def test_every_known_violation_still_occurs():
    gone = KNOWN_VIOLATIONS - find_violations(REPO)
    assert not gone, f"fixed, so remove them from KNOWN_VIOLATIONS:\n{_listed(gone)}"


# --- the checker itself, over a small package made for it --------------------------------------


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        for parent in path.relative_to(root).parents:
            if parent != Path(".") and not (root / parent / "__init__.py").exists():
                (root / parent / "__init__.py").write_text("")


ALLOWED = {
    "app/api/routes.py": (
        "from fastapi import APIRouter\nfrom starlette.responses import Response\n"
        "from sqlalchemy import Connection\nfrom app.services import users\n"
    ),
    "app/api/routes/users.py": "from app.api import urls\nfrom app.services import users\n",
    "app/api/routes/lists.py": "",
    "app/api/urls.py": "",
    "app/console/pages.py": "import fastapi\nfrom app.sandbox import clock\n",  # the console is an edge too
    "app/app.py": "import fastapi\nfrom app.api import routes\nfrom app.console import pages\n",  # the root
    "app/store/users.py": "from sqlalchemy import select, text\nimport sqlalchemy as sa\nfrom app.domain import rules",
    "app/store/migrations/versions/0001.py": "import alembic.op\nimport sqlalchemy as sa\n",
    "app/store/db.py": "from sqlalchemy import create_engine\n",
    "app/services/users.py": (
        "from sqlalchemy import Connection, Engine\nfrom app.store import users\n"
        "from app.webhooks import outbox\nfrom app.domain.rules import check\n"
    ),
    "app/domain/rules.py": (
        "import json\nfrom datetime import datetime\nfrom app.errors import Invalid\n"
        "from app.domain import other\nfrom . import other as again\n"
    ),
    "app/domain/other.py": "from __future__ import annotations\n",
    "app/errors.py": "",
    "app/config.py": "",
    "app/webhooks/outbox.py": "from app.store import users\nfrom app.domain import rules\n",
    "app/cli/main.py": (
        "from app.store.db import transaction\nfrom app.store import db\n"
        "from app.services import users\nfrom app.api import routes\n"
    ),
}

# (module, what is added to it, the violations expected as (rule, imported))
BROKEN = [
    ("app/services/users.py", "from fastapi import HTTPException", {("web-at-the-edge", "fastapi.HTTPException")}),
    ("app/domain/rules.py", "import starlette.status",
     {("web-at-the-edge", "starlette.status"), ("pure-domain", "starlette.status")}),
    ("app/services/users.py", "from sqlalchemy import select, text",
     {("sql-in-the-store", "sqlalchemy.select"), ("sql-in-the-store", "sqlalchemy.text")}),
    ("app/services/users.py", "import sqlalchemy", {("sql-in-the-store", "sqlalchemy")}),
    ("app/webhooks/outbox.py", "from sqlalchemy.engine import Connection",
     {("sql-in-the-store", "sqlalchemy.engine.Connection")}),
    ("app/cli/main.py", "def run():\n    from alembic import command", {("sql-in-the-store", "alembic.command")}),
    ("app/domain/rules.py", "import pydantic", {("pure-domain", "pydantic")}),
    ("app/domain/rules.py", "from app.store import users", {("pure-domain", "app.store.users")}),
    ("app/domain/rules.py", "from app import config", {("pure-domain", "app.config")}),
    ("app/webhooks/payloads.py", "import typing\nif typing.TYPE_CHECKING:\n    from app.services.users import View",
     {("webhooks-below-services", "app.services.users")}),
    ("app/webhooks/payloads.py", "from ..services import users", {("webhooks-below-services", "app.services.users")}),
    ("app/cli/main.py", "from app.store import users", {("cli-via-services", "app.store.users")}),
    ("app/cli/main.py", "import app.store", {("cli-via-services", "app.store")}),
    ("app/store/users.py", "from app.services.users import helper", {("layering", "app.services.users")}),
    ("app/domain/other.py", "from app.api import routes",
     {("layering", "app.api.routes"), ("pure-domain", "app.api.routes")}),
    ("app/services/users.py", "def late():\n    from app.api.routes import router", {("layering", "app.api.routes")}),
    ("app/services/users.py", "from app.cli import main", {("layering", "app.cli.main")}),
    ("app/api/routes/users.py", "from app.api.routes.lists import helper", {("routes-apart", "app.api.routes.lists")}),
    ("app/api/routes/users.py", "from . import lists", {("routes-apart", "app.api.routes.lists")}),
    ("app/delivery/worker.py", "from app.sandbox import clock", {("sandbox-on-top", "app.sandbox")}),
    ("app/services/users.py", "def late():\n    import app.sandbox.seed", {("sandbox-on-top", "app.sandbox.seed")}),
    ("app/api/routes/users.py", "from app.console import pages", {("console-on-api", "app.console.pages")}),
]


def test_the_checker_passes_what_the_rules_allow(tmp_path):
    _tree(tmp_path, ALLOWED)
    assert find_violations(tmp_path, "app") == set()


@pytest.mark.parametrize(("path", "source", "expected"), BROKEN)
def test_the_checker_reports_each_rule(tmp_path, path, source, expected):
    _tree(tmp_path, {**ALLOWED, path: ALLOWED.get(path, "") + "\n" + source + "\n"})
    importer = ".".join(Path(path).with_suffix("").parts)
    assert find_violations(tmp_path, "app") == {Violation(rule, importer, imported) for rule, imported in expected}


def test_the_checker_covers_every_rule():
    assert {rule for _, _, expected in BROKEN for rule, _ in expected} == {
        "web-at-the-edge", "sql-in-the-store", "pure-domain", "webhooks-below-services", "cli-via-services", "layering",
        "routes-apart", "sandbox-on-top", "console-on-api",
    }
