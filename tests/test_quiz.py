import pytest

import autogradviz as agv


def test_single_choice_hidden_until_tried():
    q = agv.quiz("Which layer gets no gradient?", ["lin0", "lin1", "lin2"], "lin1", "It ran under no_grad.")
    assert q.feedback.value == ""  # nothing shown before the learner tries
    q.check.click()
    assert "Pick an answer first" in q.feedback.value
    q.choices[0].value = "lin0"
    q.check.click()
    assert "Not quite. The answer: lin1." in q.feedback.value and "It ran under no_grad." in q.feedback.value
    q.choices[0].value = "lin1"
    assert q.grade() and "Right." in q.feedback.value


def test_pick_all_that_apply_with_none_of_these():
    q = agv.quiz("Which get .grad?", ["a", "b", "c"], set(), "Nothing has history.")
    q.check.click()
    assert q.feedback.value.endswith("Pick an answer first.</div>"), "an empty form reveals nothing"
    q.choices[1].value = True
    q.check.click()
    assert "The answer: none of these." in q.feedback.value
    q.choices[1].value = False
    q.choices[3].value = True  # "none of these", added to every pick-all quiz
    assert q.grade() and "Right." in q.feedback.value


def test_static_form_needs_no_kernel():
    q = agv.quiz("Pick b", ["a", "b"], ["b"], "b it is.")
    bundle = q._repr_mimebundle_()
    assert bundle["text/plain"] == "Exercise: Pick b"
    page = bundle["text/html"]
    assert "type='checkbox'" in page and "data-answer='[&quot;b&quot;]'" in page
    assert "http" not in page


def test_answer_must_be_an_option():
    with pytest.raises(ValueError, match="must be among the options"):
        agv.quiz("?", ["a", "b"], "c", "")
    with pytest.raises(ValueError, match="must differ"):
        agv.quiz("?", ["a", "a"], "a", "")


def test_backticks_show_as_code():
    q = agv.quiz("Does `eval()` stop gradients?", ["yes", "no"], "no", "`eval()` only sets `.training`.")
    assert "<code>eval()</code>" in q.children[0].value
    q.choices[0].value = "no"
    q.check.click()
    assert "<code>.training</code>" in q.feedback.value


def test_answer_is_told_in_the_options_order():
    q = agv.quiz("?", ["no_grad", "detach", "freeze", "eval"], {"freeze", "no_grad", "detach"}, "")
    q.choices[3].value = True  # eval: wrong
    q.check.click()
    assert "The answer: no_grad, detach, freeze." in q.feedback.value


def test_static_answer_is_written_as_javascript_writes_it():
    page = agv.quiz("?", ["b", "a", "é"], ["a", "b", "é"], "")._repr_mimebundle_()["text/html"]
    assert "value='none of these'" in page
    assert "data-answer='[&quot;a&quot;,&quot;b&quot;,&quot;é&quot;]'" in page
