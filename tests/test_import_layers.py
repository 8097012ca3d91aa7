"""The apps form layers: a module may import its own app and the apps below it, never one above, so there is no
import loop between apps. Imports inside functions count too; the few that must stay there (the module they
name cannot be loaded yet when this one is) are listed below, each with its reason; in `apps.py` (loaded before
the app registry is ready) functions import what they register.

The layers, bottom to top, are written once, here; docs/architecture.md explains them."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[str] = [
    "core",  # problem errors, ids, config, queueing, uploads, PDF, request plumbing, REST machinery
    "phi",  # the Django-free PHI engine
    "accessctl",  # organisations, users, the Actor, roles and the policy, security settings, API keys
    "audit",  # the append-only audit log (registers its writer and retention with accessctl)
    "passkeys",  # WebAuthn passkeys as a second factor (django-otp-webauthn's device; tags on accessctl's pages)
    "encryption",  # envelope encryption, keys, encrypted fields and files
    "deployments",  # models, deployments, providers, the inference gateway
    "scans",  # PHI scans of uploaded files
    "reports",  # compliance reports from registered sections
    "disclosures",  # accounting of disclosures (registers its recorder with the gateway and scans)
    "compliance",  # BAAs and the checklist (registers its BAA check with the gateway)
    "incidents",  # breach rules, incidents, notifications
    "emergency",  # break-glass access (registers its grant lookup and settings section with accessctl)
    "sso",  # single sign-on with OpenID Connect (per-organisation IdP, role mapping)
    "scim",  # SCIM 2.0 provisioning over accessctl's users and roles (registers an offboarding step)
    "reviews",  # periodic access reviews (registers its evidence with the compliance checklist)
    "portal",  # settings, URLs, Celery app, console shell: the top; no app imports it
]

# In-function imports of project modules that stay in the function, as (importing file, imported module).
IN_FUNCTION_ALLOWED: dict[tuple[str, str], str] = {
    # A service enqueues its own app's task, and the task module imports that service at load: importing the
    # task module at the top of the service would make the two modules wait for each other.
    ("deployments/services.py", "deployments"): "service enqueues a task whose module imports this service",
    ("scans/services.py", "scans"): "service enqueues a task whose module imports this service",
    ("reports/services.py", "reports"): "service enqueues a task whose module imports this service",
    ("incidents/notifications.py", "incidents"): "service enqueues a task whose module imports this service",
    ("encryption/services.py", "encryption"): "service enqueues a task whose module imports this service",
    # Heavy or optional libraries load only where they are used.
    ("deployments/providers/__init__.py", "deployments.providers.aws"): "boto3 loads only for the AWS provider",
    ("deployments/providers/__init__.py", "deployments.providers.local"): "llama.cpp runtime only when local",
    ("deployments/providers/__init__.py", "deployments.providers.external"): "loaded only when configured",
    ("reports/render.py", "core.pdf"): "WeasyPrint (Pango) loads only in the worker that renders a PDF",
    ("disclosures/render.py", "core.pdf"): "WeasyPrint (Pango) loads only when an accounting PDF is asked for",
    # Loaded as an INSTALLED_APPS entry, before the app registry is ready: models cannot be imported yet.
    ("portal/gunicorn_conf.py", "phi"): "gunicorn reads its config before Django; the engine is built after fork",
    ("portal/admin_site.py", "accessctl.selectors"): "admin config loads before the app registry",
    ("portal/admin_site.py", "audit.services"): "admin config loads before the app registry",
    ("portal/admin_site.py", "core.network"): "admin config loads before the app registry",
    # The PHI engine (a separate, Django-free library) loads its recognizers and data lazily.
    ("phi/cli.py", "phi.engine"): "the CLI builds the engine only for commands that need it",
    ("phi/engine.py", "phi.recognizers"): "spaCy/presidio recognizers load on first use",
    ("phi/engine.py", "phi.deid"): "surrogate data loads on first de-identification",
    ("phi/corpus.py", "phi.corpus_icu"): "ICU note templates load only for that corpus",
}


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository root
    line: int
    module: str
    in_function: bool
    in_app_config: bool  # apps.py loads before the app registry is ready: its functions import what they use


def _imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = path.relative_to(ROOT).as_posix()
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, function or child.name)
                continue
            modules: list[str] = []
            if isinstance(child, ast.Import):
                modules = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                modules = [child.module]
            for module in modules:
                line = getattr(child, "lineno", 0)
                in_app_config = relative.endswith("/apps.py")
                found.append(Import(relative, line, module, function is not None, in_app_config))
            visit(child, function)

    visit(tree, None)
    return found


def _project_imports() -> list[Import]:
    found: list[Import] = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                found.extend(i for i in _imports(path) if i.module.split(".")[0] in LAYERS)
    return found


def _app(path_or_module: str) -> str:
    return path_or_module.replace("/", ".").split(".")[0]


def test_layers_name_every_app_once() -> None:
    assert len(LAYERS) == len(set(LAYERS))
    for app in LAYERS:
        assert (ROOT / app / "__init__.py").exists(), app


def test_no_module_imports_an_app_above_its_own() -> None:
    upward = [
        f"{i.path}:{i.line} imports {i.module} ({_app(i.module)} is above {_app(i.path)})"
        for i in _project_imports()
        if LAYERS.index(_app(i.module)) > LAYERS.index(_app(i.path))
    ]
    assert upward == []


def test_no_import_loop_between_apps() -> None:
    edges: dict[str, set[str]] = {app: set() for app in LAYERS}
    for i in _project_imports():
        if _app(i.module) != _app(i.path):
            edges[_app(i.path)].add(_app(i.module))
    loops = []
    for start in LAYERS:  # is `start` reachable from any app it imports?
        seen, todo = set(), list(edges[start])
        while todo:
            app = todo.pop()
            if app == start:
                loops.append(start)
                break
            if app not in seen:
                seen.add(app)
                todo.extend(edges[app])
    assert loops == []


def test_imports_inside_functions_only_with_a_written_reason() -> None:
    hidden = [
        f"{i.path}:{i.line} imports {i.module} inside a function"
        for i in _project_imports()
        if i.in_function and not i.in_app_config and (i.path, i.module) not in IN_FUNCTION_ALLOWED
    ]
    assert hidden == []


def test_the_allow_list_has_no_stale_entries() -> None:
    used = {(i.path, i.module) for i in _project_imports() if i.in_function}
    assert sorted(set(IN_FUNCTION_ALLOWED) - used) == []
