"""The phone page's ES modules load as the server serves them, with no bundler.

The browser fetches each ``import "./x.js"`` as ``/static/x.js``: a module the
server's allow-list leaves out (a sub-folder, an odd name) would break the page
only on a phone. These checks read the files: every import is a plain sibling
the server serves, the graph has no cycle, no module is left unused, index.html
preloads exactly the imported ones, and each module stays small.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from inspector.assets import asset_path
from inspector.live.server.files import allow_list

PHONE = asset_path("phone")
ENTRY = "phone.js"
MAX_LINES = 500  # issue 11: no module over about 500 lines
IMPORT = re.compile(r'^\s*(?:import|export)\b[^;"\']*?\bfrom\s*["\']([^"\']+)["\']', re.M)
BARE_IMPORT = re.compile(r'^\s*import\s*["\']([^"\']+)["\']', re.M)


def imports(name: str) -> list[str]:
    text = (PHONE / name).read_text(encoding="utf-8")
    return IMPORT.findall(text) + BARE_IMPORT.findall(text)


def graph() -> dict[str, list[str]]:
    """Module → the sibling modules it imports, from the entry on."""
    seen: dict[str, list[str]] = {}
    todo = [ENTRY]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        specs = imports(name)
        assert all(s.startswith("./") and "/" not in s[2:] for s in specs), (name, specs)
        seen[name] = [s[2:] for s in specs]
        todo.extend(seen[name])
    return seen


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.modules: list[str] = []
        self.preloads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("type") == "module" and a.get("src"):
            self.modules.append(a["src"] or "")
        if tag == "link" and a.get("rel") == "modulepreload":
            self.preloads.append(a.get("href") or "")


def page_scripts() -> _Scripts:
    parser = _Scripts()
    parser.feed((PHONE / "index.html").read_text(encoding="utf-8"))
    return parser


def test_every_module_is_a_served_sibling() -> None:
    served = allow_list(PHONE)
    for name in graph():
        assert name in served, f"{name} is imported but the server would not serve it"


def test_the_page_loads_the_entry_and_preloads_the_rest() -> None:
    scripts = page_scripts()
    assert scripts.modules == [f"/static/{ENTRY}"]
    modules = set(graph()) - {ENTRY}
    assert sorted(scripts.preloads) == sorted(f"/static/{m}" for m in modules)


def test_no_module_is_left_out() -> None:
    on_disk = {p.name for p in PHONE.glob("*.js")}
    assert on_disk == set(graph()), "a .js file in assets/phone that nothing imports"


def test_imports_have_no_cycle() -> None:
    deps = graph()
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", " → ".join([*path, name])
        state[name] = "open"
        for dep in deps[name]:
            visit(dep, [*path, name])
        state[name] = "done"

    visit(ENTRY, [])


def test_modules_stay_small() -> None:
    sizes = {n: len((PHONE / n).read_text(encoding="utf-8").splitlines()) for n in graph()}
    assert max(sizes.values()) <= MAX_LINES, sizes


def test_the_import_reader_sees_every_form() -> None:
    """A form the reader missed would hide a module from every check above."""
    text = (
        'import * as P from "./p.js";\n'
        "import {\n  a,\n  b,\n} from './ab.js';\n"
        'export { c } from "./c.js";\n'
        'import "./side.js";\n'
        'const s = "import x from ./not.js";\n'
    )
    assert IMPORT.findall(text) + BARE_IMPORT.findall(text) == [
        "./p.js",
        "./ab.js",
        "./c.js",
        "./side.js",
    ]
