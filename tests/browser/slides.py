"""What a room sees: graph labels' size on screen, and an explorer clicked inside the slides (RISE)."""
from __future__ import annotations

from .conftest import ARTIFACTS
from .lab import finish_stopping

READABLE_PX = 10  # no graph label smaller than this on screen: a picture too big scrolls instead

# Every graph label on screen, in CSS pixels: its font-size (SVG user units) times the SVG's scale
# on screen. Explorers draw inline SVG; draw() shows an <img> of the SVG, measured through an
# inline copy laid out at the image's displayed width.
LABEL_PX = """(root) => {
  const sizes = [];
  const measure = (svg, where) => {
    for (const t of svg.querySelectorAll('text')) {
      const m = t.getScreenCTM();
      const px = parseFloat(t.getAttribute('font-size')) * Math.hypot(m.a, m.b);
      if (t.textContent.trim()) sizes.push([Math.round(px * 10) / 10, where, t.textContent.trim()]);
    }
  };
  const shown = (e) => e.getBoundingClientRect().width > 0;
  root.querySelectorAll('.agv-explorer svg').forEach(s => shown(s) && measure(s, 'explorer'));
  for (const img of root.querySelectorAll('.jp-RenderedSVG img')) {
    if (!shown(img)) continue;
    const text = decodeURIComponent(img.src.slice(img.src.indexOf(',') + 1));
    const holder = document.createElement('div');
    holder.style.cssText = `position:absolute;left:0;top:0;width:${img.getBoundingClientRect().width}px`;
    holder.innerHTML = text.slice(text.indexOf('<svg'));
    const svg = holder.querySelector('svg');
    svg.style.width = '100%';
    svg.style.height = 'auto';
    document.body.appendChild(holder);
    measure(svg, 'draw');
    holder.remove();
  }
  return sizes.sort((a, b) => a[0] - b[0]);
}"""


def assert_labels_readable(page, where: str) -> list:
    """Every graph label shown is at least READABLE_PX tall on screen; returns the sizes."""
    sizes = page.evaluate(LABEL_PX, page.locator("body").element_handle())
    small = [s for s in sizes if s[0] < READABLE_PX]
    assert not small, f"{where}: graph labels below {READABLE_PX} px on screen: {small[:5]}"
    return sizes


PRESENT = "document.querySelector('.reveal .slides > section.present')"


def open_slides(page, lab, name: str) -> list[str]:
    """The slides of a notebook. Returns the requests they made beyond this server, refused (the
    slides promise to work offline: no font, MathJax or script from a CDN)."""
    away = []

    def offline(route):
        if route.request.url.startswith((lab.url + "/", "data:", "blob:")):
            route.continue_()
        else:
            away.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    finish_stopping(lab, name)  # the last test's session of this notebook, if any, is gone first
    page.goto(f"{lab.url}/rise/{name}?token={lab.token}")
    page.wait_for_function(f"() => {PRESENT}", timeout=60_000)
    return away


def in_view(page, locator) -> float:
    """The share of the screen's height that locator's box fills on the screen, from 0 to 1."""
    return locator.evaluate("(e) => { const r = e.getBoundingClientRect(); "
                            "return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)) / innerHeight; }")


def next_slide_with(page, selector: str, most: int = 30, each=None) -> None:
    """Arrow right, as a presenter does, until the current slide holds selector; each(), if given,
    looks at every slide on the way."""
    for _ in range(most):
        if each:
            each()
        if page.evaluate(f"(s) => !!{PRESENT}.querySelector(s)", selector):
            return
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => !{PRESENT}.classList.contains('future')")
    raise AssertionError(f"no slide shows {selector}")


# Every piece of text in the slides (all of them: a slide out of view has its font size too) a room
# has to read: [px, where, text]. Left out: prompts ("[4]:"), graph labels (measured by LABEL_PX), and
# what the slides hide (display: none below a slide: Reveal hides whole slides, which count).
SLIDE_TEXT = """() => {
  const hidden = (e) => { for (let x = e; x && x.tagName !== 'SECTION'; x = x.parentElement)
    if (getComputedStyle(x).display === 'none') return true; return false; };
  const sizes = [];
  for (const e of document.querySelectorAll('.reveal .slides *')) {
    if (e.closest('svg, .jp-InputPrompt, .jp-OutputPrompt') || hidden(e)) continue;
    const text = Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    // cut short: "Check my an...", on the element or the box around its text
    const cut = [e, e.parentElement].some(x => getComputedStyle(x).textOverflow === 'ellipsis' && x.scrollWidth > x.clientWidth + 1);
    if (text) sizes.push([parseFloat(getComputedStyle(e).fontSize), e.tagName.toLowerCase() + '.' + String(e.className).split(' ')[0], text.slice(0, 40), cut]);
  }
  return sizes;
}"""
SLIDE_TEXT_PX = (18, 60)  # code and printed output 18 px, text 22 px, h1 55 px


def assert_slide_text_legible(page, where: str) -> None:
    """No text in the slides smaller than code (18 px at 1280x720) or bigger than a title, and none
    cut short (a button's label)."""
    low, high = SLIDE_TEXT_PX
    texts = page.evaluate(SLIDE_TEXT)
    wrong = [s[:3] for s in texts if not low <= s[0] <= high]
    assert not wrong, f"{where}: slide text outside {low}-{high} px: {wrong[:5]}"
    cut = [s[1:3] for s in texts if s[3]]
    assert not cut, f"{where}: text cut short with an ellipsis: {cut[:5]}"


def text_px(page, selector: str) -> float:
    """The font size of the first selector on the current slide."""
    return page.evaluate(f"(s) => parseFloat(getComputedStyle({PRESENT}.querySelector(s)).fontSize)", selector)


# Reveal slides in with a CSS transition: a screenshot taken during it is blank.
SETTLED = """() => Promise.race([new Promise(done => setTimeout(done, 3000)), Promise.all(document.getAnimations()
  .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity).map(a => a.finished.catch(() => null)))])"""


def screenshot(page, name: str) -> None:
    """What the screen shows, once the slides stop moving, in test-artifacts/ (to be looked at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate(SETTLED)
    page.screenshot(path=str(ARTIFACTS / name))
