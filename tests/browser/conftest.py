"""The built book opened in a real browser (Debian's chromium, driven by playwright), offline.

Every page of ``_build/html`` is loaded once per session at 1280 px from ``file://``. Any request
for anything else (a CDN, a font server) is aborted and recorded, so a page that needs the
network fails its test rather than passing on a machine that has one. What each page measured is
kept in one report per page; a full-page screenshot of each lands in ``_build/screenshots/``, and
the measurements in ``_build/screenshots/report.json``.

Run with ``make browser`` after ``make book``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The built book (``BEYOND_MLE_BOOK_HTML`` names another build, e.g. one made with
#: ``jupyter-book build . --path-output DIR``) and where the screenshots go.
HTML = Path(os.environ.get("BEYOND_MLE_BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = HTML.parent / "screenshots"
WIDTH = 1280
HEIGHT = 900
#: Pages the build writes that are not the book's own (Sphinx's index and search pages).
GENERATED = {"genindex.html", "search.html"}


def chromium_path() -> str | None:
    """Debian's chromium, or the one named by ``BEYOND_MLE_CHROMIUM``."""
    named = os.environ.get("BEYOND_MLE_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def book_pages() -> list[Path]:
    """Every HTML page of the built book, relative to ``_build/html``."""
    if not HTML.is_dir():
        return []
    pages = [
        path.relative_to(HTML)
        for path in sorted(HTML.rglob("*.html"))
        if not any(part.startswith(("_", ".")) for part in path.relative_to(HTML).parts)
    ]
    return [
        page
        for page in pages
        if page.name not in GENERATED
        and 'http-equiv="Refresh"' not in (HTML / page).read_text()[:2000]  # a redirect
    ]


# What the page itself measures, once MathJax has typeset it. Widths in CSS pixels.
MEASURE = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  const out = {};
  const maths = [...document.querySelectorAll('span.math, div.math')];
  out.math_total = maths.length;
  out.math_raw = maths.filter(e => !e.querySelector('mjx-container'))
                      .map(e => e.textContent.trim().slice(0, 100));
  out.math_errors = [...document.querySelectorAll('mjx-merror, mjx-container [data-mjx-error]')]
                      .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 100));
  const label = e => {
    const eq = e.closest('div.math');
    const no = eq && eq.querySelector('.eqno');
    return (no ? no.textContent.replace('#', '').trim() + ' ' : '') +
           (e.textContent || '').trim().slice(0, 60);
  };
  out.displays = [...document.querySelectorAll('div.math')].map(e => {
    const jax = e.querySelector('mjx-container');
    const inner = jax && jax.querySelector('mjx-math');
    const box = e.getBoundingClientRect().width;
    const content = inner ? inner.getBoundingClientRect().width : 0;
    const eqno = e.querySelector('.eqno');
    const eqnoWidth = eqno ? eqno.getBoundingClientRect().width : 0;
    const style = getComputedStyle(e);
    return {label: label(e), box: box, content: content, eqno: eqnoWidth,
            scrolls: ['auto', 'scroll'].includes(style.overflowX)};
  });
  out.inline_overflow = [...document.querySelectorAll('span.math mjx-container')].filter(m => {
    const block = m.closest('p, li, td, dd, dt, div');
    if (!block) return false;
    return m.getBoundingClientRect().right > block.getBoundingClientRect().right + 1;
  }).map(m => m.closest('span.math').textContent.trim().slice(0, 80));
  const column = document.querySelector('article.bd-article') || document.body;
  out.column = column.getBoundingClientRect().width;
  out.pre = [...document.querySelectorAll('article pre')].filter(p => p.offsetParent !== null)
    .map(p => ({wide: p.scrollWidth > p.clientWidth + 1,
                output: !!p.closest('.cell_output'),
                text: p.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b, '')
                        .slice(0, 120)}));
  out.images = [...document.querySelectorAll('article img')].map(img => ({
    src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
    complete: img.complete, natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
    output: !!img.closest('.cell_output'),
    caption: (() => { const f = img.closest('figure');
                      const c = f && f.querySelector('figcaption');
                      return c ? c.textContent.trim() : ''; })(),
  }));
  out.links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  out.ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  out.dropdowns = document.querySelectorAll('.dropdown .toggle-button').length;
  return out;
}
"""


@dataclass
class PageReport:
    """What one page measured in the browser."""

    page: str
    measured: dict[str, Any] = field(default_factory=dict)
    js_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    dropdown_opens: bool | None = None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium_path()
    if executable is None:
        reason = "no chromium: install Debian's chromium package (apt-get install chromium)"
        if os.environ.get("BEYOND_MLE_REQUIRE_BROWSER"):
            pytest.fail(reason)  # CI: a browser test that cannot run is a failure
        pytest.skip(reason)
    if not book_pages():
        pytest.fail(f"no built book under {HTML}: run `make book` first")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def _visit(browser: Any, page_path: Path) -> PageReport:
    report = PageReport(page=str(page_path))
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, offline=True, device_scale_factor=1
    )

    def block(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:  # the network: refused, and recorded
            report.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", block)
    page = context.new_page()
    page.on("pageerror", lambda error: report.js_errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: (
            report.js_errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.goto((HTML / page_path).as_uri(), wait_until="load")
    report.measured = page.evaluate(MEASURE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / (str(page_path).replace("/", "__").removesuffix(".html") + ".png")
    page.screenshot(path=str(shot), full_page=True)
    if report.measured["dropdowns"]:
        button = page.locator(".dropdown .toggle-button").first
        button.scroll_into_view_if_needed()
        target = button.evaluate("b => b.closest('.dropdown') ? 1 : 0")
        button.click()
        page.wait_for_timeout(300)
        report.dropdown_opens = bool(target) and page.evaluate(
            """() => { const d = document.querySelector('.dropdown');
                       return !d.classList.contains('toggle-hidden') &&
                              [...d.children].some(c => c.offsetHeight > 0 &&
                                  !c.classList.contains('admonition-title')); }"""
        )
    context.close()
    return report


@pytest.fixture(scope="session")
def reports(browser: Any) -> dict[str, PageReport]:
    """One report per page, measured once per session; also written to report.json."""
    out = {str(page): _visit(browser, page) for page in book_pages()}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "report.json").write_text(
        json.dumps({name: asdict(report) for name, report in out.items()}, indent=1)
    )
    return out
