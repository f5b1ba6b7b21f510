"""The import rules between the apps, read from the code with ast: bulletins borrow nothing from
reports (what they share is in binhyen/), accounts knows users and roles only, only the
dashboards compose every wing, and no part of the product imports bench/. Tests may build data
of any wing, so they are not walked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# app → the apps its code may not import; and nothing of the product imports the benchmarks.
FORBIDDEN = {
    "accounts": {"reports", "bulletins", "reviews", "dashboards", "bench"},
    "groups": {"dashboards", "bench"},
    "reports": {"dashboards", "bench"},
    "bulletins": {"reports", "dashboards", "bench"},
    "reviews": {"dashboards", "bench"},
    "dashboards": {"bench"},
    "binhyen": {"dashboards", "bench"},
}


def imported_apps(path: Path) -> set[str]:
    """The top-level packages `path` imports, absolute imports only (relative ones stay home)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def product_files(app: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if "tests" not in path.relative_to(ROOT).parts
    ]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_no_app_above_it(app: str) -> None:
    files = product_files(app)
    assert files
    broken = {
        f"{path.relative_to(ROOT)} imports {', '.join(sorted(wrong))}"
        for path in files
        if (wrong := imported_apps(path) & FORBIDDEN[app])
    }
    assert not broken, sorted(broken)


def test_the_rule_sees_an_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("import reports.models\nfrom bulletins import services\nfrom . import x\n")
    assert imported_apps(module) == {"reports", "bulletins"}
