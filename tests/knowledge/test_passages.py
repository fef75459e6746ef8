"""The passage a wrong quiz choice quotes is the paragraph that corrects it, not its chunk's opening."""

from knowledge.passages import passage_for


def test_a_misconception_quote_starts_at_the_paragraph_about_it():
    about = ("A logistic regression coefficient is 0.6. What does it mean? It adds 0.6 to the log-odds per unit. "
             "Coefficients live on the log-odds scale; the change in probability depends on where you start.")
    passage = passage_for("logistic-regression", "Common misconceptions", about)
    assert passage.startswith('**"A coefficient of 0.6 means the probability goes up by 0.6."**'), passage[:120]


def test_a_missing_section_gives_no_passage():
    assert passage_for("logistic-regression", "No such section", "anything") == ""
