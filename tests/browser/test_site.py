"""The offline site, opened from file:// in Chromium with every network request refused."""
import re
import subprocess
import sys

import pytest

from .explorers import STEPS_01B
from .lab import ROOT

pytestmark = pytest.mark.xdist_group("site")  # one worker builds the site, once


@pytest.fixture(scope="module")
def site(tmp_path_factory, chromium):
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), str(out), "00", "02", "03"],
                   check=True, capture_output=True)
    return out


@pytest.fixture
def offline(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    tab = context.new_page()
    fetched = []
    tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
              else (fetched.append(route.request.url), route.abort()))
    yield tab, fetched
    context.close()


def test_index_links_every_page(site, offline):
    tab, fetched = offline
    tab.goto((site / "index.html").as_uri())
    assert [a.get_attribute("href") for a in tab.locator("a").all()] == ["00_start_here.html", "02_backward_step_by_step.html",
                                                                           "03_no_grad.html"]
    tab.locator("a", has_text="03").click()
    tab.wait_for_selector(".agv-static-explorer")
    assert tab.title() == "03 · torch.no_grad() in the middle of a network"
    assert not fetched, f"the site fetched from the network: {fetched}"
    for page in site.glob("*.html"):  # not even a loader that would fetch once a page had a diagram
        assert not re.search(r"import\(\s*\"https?:|src=\"https?:", page.read_text()), page.name


def blue(view) -> set:
    return set(view.evaluate(
        "(v) => Array.from(v.querySelectorAll('svg g.node')).filter(g => g.querySelector('title').textContent"
        " !== 'legend' && g.querySelector('polygon[fill=\"lightblue\"]')).map(g => g.querySelector('text').textContent)"))


def test_explorer_toggles_without_a_kernel(site, offline):
    tab, fetched = offline
    tab.goto((site / "03_no_grad.html").as_uri())
    explorer = tab.locator(".agv-static-explorer").first
    view = explorer.locator(".agv-static-view")
    assert blue(view) == {"lin2.weight", "lin2.bias"}  # the article's setting: lin1 under no_grad
    explorer.locator(".agv-static-control[data-name=lin1] button", has_text="frozen").click()
    assert blue(view) == {"(2, 2)", "lin0.weight", "lin0.bias", "lin2.weight", "lin2.bias"}  # (2, 2): x, unnamed
    assert "frozen: requires_grad=False" in view.inner_text()
    explorer.locator(".agv-static-control[data-name=lin2] button", has_text="no_grad").click()
    assert blue(view) == set() and "No backward" in view.inner_text()
    assert not fetched


def test_a_traced_backward_steps_without_a_kernel(site, offline):
    tab, fetched = offline
    tab.goto((site / "02_backward_step_by_step.html").as_uri())
    explorer = tab.locator(".agv-static-explorer").first
    assert explorer.locator("template").count() == len(STEPS_01B)  # every step drawn in advance
    for k, line in reversed(list(enumerate(STEPS_01B))):
        explorer.locator("input[type=range]").fill(str(k))
        assert explorer.locator(".agv-steps b").inner_text() == line
        assert explorer.locator("svg polygon[fill='#ffd166']").count() == 2  # the running node, and its key
    tab.goto((site / "00_start_here.html").as_uri())
    tab.locator("a", has_text="backward, step by step").click()  # 00's table links to it
    tab.wait_for_selector(".agv-static-explorer")
    assert not fetched


def test_quiz_checks_the_answer_without_a_kernel(site, offline):
    tab, fetched = offline
    tab.goto((site / "03_no_grad.html").as_uri())
    quiz = tab.locator("form.agv-quiz").first
    out = quiz.locator(".agv-quiz-out")
    assert out.inner_text() == "", "the answer is hidden until the learner tries"
    assert not quiz.locator(".agv-quiz-run-first").is_visible(), "no kernel needed here: no 'run the notebook'"
    assert "agv.quiz(" not in tab.locator("body").inner_text(), "nor is it in the quiz cell's source"
    quiz.get_by_role("button", name="Check my answer").click()
    assert out.inner_text() == "Pick an answer first.", "an empty form reveals nothing"
    quiz.locator("input[value=lin2]").check()
    quiz.get_by_role("button", name="Check my answer").click()
    assert out.inner_text().startswith("Not quite. The answer: none of these.")
    quiz.locator("input[value=lin2]").uncheck()
    quiz.locator("input[value='none of these']").check()
    quiz.get_by_role("button", name="Check my answer").click()
    assert out.inner_text().startswith("Right.") and "nothing for backward() to walk" in out.inner_text()
    assert not fetched
