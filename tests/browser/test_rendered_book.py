"""What a reader sees: every page of the built book, offline, at 1280 px (see conftest.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import HTML, WIDTH, book_pages
from PIL import Image

from beyond_mle.plotting import MIN_FONT_PT

PAGES = [str(page) for page in book_pages()] or ["(no built book)"]
CHAPTERS = [page for page in PAGES if Path(page).stem not in {"bibliography", "lessons"}]
#: The smallest legible font on screen, in CSS pixels.
MIN_FONT_PX = 9.0
#: Alt text that is only a file name or path says nothing about the figure.
_PATHLIKE = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|svg|gif)$", re.IGNORECASE)


def report_for(reports, page):
    if page not in reports:
        pytest.fail(f"no built book under {HTML}: run `make book` first")
    return reports[page]


@pytest.mark.parametrize("page", PAGES)
def test_every_formula_is_typeset(reports, page):
    measured = report_for(reports, page).measured
    assert measured["math_raw"] == [], f"{len(measured['math_raw'])} formulas left as raw TeX"
    assert measured["math_errors"] == [], "MathJax could not typeset these"


@pytest.mark.parametrize("page", PAGES)
def test_display_equations_fit_the_column(reports, page):
    displays = report_for(reports, page).measured["displays"]
    wide = [
        f"{d['label']!r}: {d['content']:.0f} px in {d['box'] - d['eqno']:.0f} px"
        for d in displays
        if d["content"] > d["box"] - d["eqno"] + 1
    ]
    assert wide == [], f"display equations wider than the column at {WIDTH} px"
    assert all(d["scrolls"] for d in displays), "a display equation would not scroll"


@pytest.mark.parametrize("page", PAGES)
def test_inline_formulas_stay_in_their_box(reports, page):
    assert report_for(reports, page).measured["inline_overflow"] == []


@pytest.mark.parametrize("page", CHAPTERS)
def test_code_and_outputs_fit_the_column(reports, page):
    wide = [block["text"] for block in report_for(reports, page).measured["pre"] if block["wide"]]
    assert wide == [], f"{len(wide)} code or output blocks wider than the column at {WIDTH} px"


@pytest.mark.parametrize("page", PAGES)
def test_no_javascript_errors(reports, page):
    assert report_for(reports, page).js_errors == []


@pytest.mark.parametrize("page", PAGES)
def test_nothing_is_fetched_from_the_network(reports, page):
    assert report_for(reports, page).blocked == []


@pytest.mark.parametrize("page", PAGES)
def test_images_decode(reports, page):
    images = report_for(reports, page).measured["images"]
    broken = [image["src"] for image in images if not image["complete"] or image["natural"] == 0]
    assert broken == []


def _dpi(page: str, src: str) -> float:
    with Image.open((HTML / page).parent / unquote(src)) as image:
        dpi = image.info.get("dpi", (72.0, 72.0))[0]
    return float(dpi)


@pytest.mark.parametrize("page", PAGES)
def test_figures_are_legible_captioned_and_described(reports, page):
    """A figure's smallest font, scaled to its display width, is at least 9 CSS px."""
    figures = [image for image in report_for(reports, page).measured["images"] if image["output"]]
    for figure in figures:
        name = figure["src"].rsplit("/", 1)[-1][:12]
        # MIN_FONT_PT points at the PNG's dpi are MIN_FONT_PT * dpi / 72 of its pixels, shown
        # at shown / natural CSS pixels per image pixel.
        font_px = MIN_FONT_PT * _dpi(page, figure["src"]) / 72 * figure["shown"] / figure["natural"]
        assert font_px >= MIN_FONT_PX, (
            f"figure {name}: {figure['natural']} px shown at {figure['shown']:.0f} px, "
            f"its {MIN_FONT_PT:g} pt labels at {font_px:.1f} px"
        )
        assert figure["caption"], f"figure {name} has no caption"
        assert figure["alt"] and not _PATHLIKE.search(figure["alt"]), (
            f"figure {name}: alt text {figure['alt']!r}"
        )


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" and value:
                self.ids.add(value)


_IDS: dict[Path, set[str]] = {}


def _ids_of(path: Path) -> set[str]:
    if path not in _IDS:
        parser = _Ids()
        parser.feed(path.read_text(encoding="utf-8"))
        _IDS[path] = parser.ids
    return _IDS[path]


@pytest.mark.parametrize("page", PAGES)
def test_links_and_anchors_resolve(reports, page):
    measured = report_for(reports, page).measured
    here = (HTML / page).resolve()
    broken = []
    for href in measured["links"]:
        parts = urlsplit(href)
        if parts.scheme in {"http", "https", "mailto"}:
            continue  # links out of the book are the reader's to follow, never fetched here
        target = (here.parent / unquote(parts.path)).resolve() if parts.path else here
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(href)
        elif parts.fragment and target.suffix == ".html":
            ids = set(measured["ids"]) if target == here else _ids_of(target)
            if unquote(parts.fragment) not in ids:
                broken.append(href)
    assert broken == []


@pytest.mark.parametrize("page", PAGES)
def test_solution_dropdowns_open(reports, page):
    report = report_for(reports, page)
    if not report.measured["dropdowns"]:
        pytest.skip("no dropdown on this page")
    assert report.dropdown_opens, "the first dropdown did not open on a click"


def test_search_works_offline(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, offline=True)
    page = context.new_page()
    page.goto((HTML / "search.html").as_uri() + "?q=discriminator")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    hits = page.locator("#search-results ul.search li").count()
    context.close()
    assert hits >= 3
