"""quiz(): an exercise that checks the learner's answer and then explains the right one.

In JupyterLab it is an ipywidgets form (the kernel checks the answer). Where no kernel runs
(the offline site, a notebook viewer), it is the same form in plain HTML with a few lines of
JavaScript. The answer is hidden until the learner has tried. Pass the answer computed by the
notebook's own code, so the quiz can never disagree with what PyTorch does.
"""
from __future__ import annotations

import html
import json
import re

import ipywidgets

NONE = "none of these"
# Where the quiz is a picture with no kernel behind it (JupyterLab before a run, a notebook viewer).
RUN_FIRST = "Run the notebook (Run > Run All Cells) to check your answer here."
WIDE = {"width": "max-content"}  # controls as wide as their words: none cut short in the slides' large text
_count = 0  # numbers the static forms on a page, so their ids do not clash


def rich(text: str) -> str:
    """Escape text for HTML, and show `backticks` as code and **stars** as bold."""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)


def _feedback(right: bool, answer: list[str], explain: str) -> str:
    verdict = "Right." if right else f"Not quite. The answer: {', '.join(answer)}."
    colour = "#1a7f37" if right else "#a00"
    return (f"<div class='agv-quiz-feedback'><b style='color:{colour}'>{html.escape(verdict)}</b> "
            f"{rich(explain)}</div>")


class Quiz(ipywidgets.VBox):
    """The quiz's widget; outside a live kernel it shows as a self-contained HTML form."""

    def __init__(self, question: str, options: list[str], answer: list[str], explain: str, multiple: bool):
        self.question, self.options, self.answer, self.explain = question, options, answer, explain
        self.multiple = multiple
        if multiple:
            self.choices = [ipywidgets.Checkbox(description=o, indent=False, value=False, layout=WIDE) for o in options]
            picker = ipywidgets.VBox(self.choices)
        else:
            self.choices = [ipywidgets.RadioButtons(options=options, value=None, layout=WIDE)]
            picker = self.choices[0]
        self.check = ipywidgets.Button(description="Check my answer", button_style="info", layout=WIDE)
        self.feedback = ipywidgets.HTML()
        self.check.on_click(lambda _button: self.grade())
        super().__init__([ipywidgets.HTML(f"<b>Exercise.</b> {rich(question)}"), picker, self.check,
                          self.feedback])
        self.add_class("agv-quiz")

    def selected(self) -> list[str]:
        if self.multiple:
            return [c.description for c in self.choices if c.value]
        return [self.choices[0].value] if self.choices[0].value is not None else []

    def grade(self) -> bool:
        picked = self.selected()
        if not picked:  # checking with nothing picked must not reveal the answer
            self.feedback.value = "<div class='agv-quiz-feedback'>Pick an answer first.</div>"
            return False
        right = sorted(picked) == sorted(self.answer)
        self.feedback.value = _feedback(right, self.answer, self.explain)
        return right

    def static_html(self) -> str:
        """The same quiz as an HTML form with inline JavaScript: needs no kernel and no network."""
        global _count
        _count += 1
        form = f"agv-quiz-{_count}"
        kind = "checkbox" if self.multiple else "radio"
        inputs = "".join(
            f"<label style='display:block'><input type='{kind}' name='{form}' value='{html.escape(o)}'> "
            f"{html.escape(o)}</label>" for o in self.options)
        # the same text JavaScript's JSON.stringify gives, which the page compares against
        right = html.escape(json.dumps(sorted(self.answer), separators=(",", ":"), ensure_ascii=False))
        good = html.escape(_feedback(True, self.answer, self.explain))
        bad = html.escape(_feedback(False, self.answer, self.explain))
        script = (
            "var f=this.form,p=[].slice.call(f.querySelectorAll('input:checked')).map(function(i){return i.value}).sort();"
            "if(!p.length){f.querySelector('.agv-quiz-out').textContent='Pick an answer first.';return false;}"
            "f.querySelector('.agv-quiz-out').innerHTML=JSON.stringify(p)===f.dataset.answer?f.dataset.good:f.dataset.bad;return false;")
        return (f"<form class='agv-quiz' id='{form}' data-kind='{kind}' data-answer='{right}' data-good='{good}' "
                f"data-bad='{bad}'><p><b>Exercise.</b> {rich(self.question)}</p>{inputs}"
                f"<button type='button' onclick=\"{script}\">Check my answer</button>"
                f"<p class='agv-quiz-run-first'><i>{html.escape(RUN_FIRST)}</i></p>"  # the site hides it
                f"<div class='agv-quiz-out'></div></form>")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = f"Exercise: {self.question}"
        bundle["text/html"] = self.static_html()
        return bundle


def quiz(question: str, options, answer, explain: str) -> Quiz:
    """An exercise: ``options`` to pick from; ``answer`` one option (pick one) or a set/list of them
    (pick all that apply; an empty one means "none of these", an option added to every pick-all
    quiz); ``explain`` is shown after the learner checks."""
    options = [str(o) for o in options]
    multiple = not isinstance(answer, str)
    wanted = {str(a) for a in answer} if multiple else {answer}
    if multiple:  # "none of these" is an answer the learner must pick, not an empty form
        options.append(NONE)
        wanted = wanted or {NONE}
    answer = [o for o in options if o in wanted] if multiple else [answer]  # in the options' order
    unknown = sorted(wanted - set(options))
    if not options or unknown:
        raise ValueError(f"quiz(): the answer {unknown or answer} must be among the options {options}.")
    if len(set(options)) != len(options):
        raise ValueError(f"quiz(): options must differ from each other: {options}")
    return Quiz(question, options, answer, explain, multiple)
