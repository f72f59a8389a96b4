"""The import rules of the layers (README "Layout"), checked on the source so they cannot drift."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import massdm

SOURCE = Path(massdm.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module the file imports, at the top, inside functions or under TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(SOURCE.parent)} imports {name}"
        for path in (SOURCE / package).rglob("*.py")
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize(("package", "forbidden", "why"), [
    ("webhooks", ("massdm.services", "massdm.api"),
     "webhooks are written by services and sent by workers: they build on domain/ and store/ only"),
    ("store", ("massdm.services", "massdm.api", "massdm.webhooks", "massdm.delivery"),
     "store/ is the bottom layer: SQL and read models, called from above"),
    ("domain", ("massdm.services", "massdm.api", "massdm.store", "massdm.webhooks", "sqlalchemy", "fastapi",
                "pydantic"), "domain/ is pure rules: standard library only"),
])
def test_a_layer_imports_nothing_above_it(package, forbidden, why):
    assert _offenders(package, forbidden) == [], why


def test_only_the_http_edge_imports_fastapi():
    outside = [p for p in SOURCE.iterdir() if p.name != "api"]
    offenders = [
        f"{path.relative_to(SOURCE.parent)} imports {name}"
        for top in outside for path in ([top] if top.is_file() else top.rglob("*.py")) if path.suffix == ".py"
        for name in _imports(path) if name.split(".")[0] in ("fastapi", "starlette")
    ]
    assert offenders == []
