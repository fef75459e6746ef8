"""Numbers in a student's question, in the phrasings students use, computed and checked against
numpy, torch, scikit-learn or scipy; and the answer around the computed sentence, which must not
work a different example of its own."""

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import hmean
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.preprocessing import StandardScaler

from knowledge.answerer import _states
from knowledge.worked_examples import StudentNumbers, foreign_example, numbers_in
from tools.question_math import compute_from_question


def only(question, tool=None):
    worked = compute_from_question(question)
    assert len(worked.computations) == 1, (question, worked)
    comp = worked.computations[0]
    if tool is not None:
        assert comp.tool == tool, (question, comp.tool)
    return comp


def t64(x):
    return torch.tensor(x, dtype=torch.float64)


# -- odds ratio from a coefficient, probability from log-odds --------------------------------------

@pytest.mark.parametrize("question, beta", [
    ("how do i interpret a coefficient of 0.7", 0.7),
    ("coef = 0.7 in logistic regression, meaning?", 0.7),
    ("my logistic regression gave beta 1.2 for age, what does that mean", 1.2),
    ("what's the odds ratio if the coefficient is -0.4", -0.4),
    ("a weight of 0.5 in logreg means what for the odds", 0.5),
    ("odds ratio for b=0.69", 0.69),
    ("the coefficient for smoking is 1.1, interpret", 1.1),
    ("interpret β=0.25", 0.25),
])
def test_odds_ratio_phrasings_match_the_ratio_of_odds_one_unit_apart(question, beta):
    comp = only(question, "odds-ratio")
    b0, x = -0.8, 1.5

    def odds(v):
        p = torch.sigmoid(t64(b0 + beta * v)).item()
        return p / (1 - p)

    assert comp.inputs["coefficient"] == pytest.approx(beta)
    assert comp.result["odds_ratio"] == pytest.approx(odds(x + 1) / odds(x), rel=1e-9)


@pytest.mark.parametrize("question, beta, units", [
    ("coef for age is 0.1 per year. what happens to the odds over 10 years", 0.1, 10),
    ("coefficient 0.05 per year of age, 10 extra years?", 0.05, 10),
    ("coefficient of 0.7, what if x increases by 2", 0.7, 2),
])
def test_odds_ratio_over_several_units_is_the_ratio_of_odds_that_far_apart(question, beta, units):
    comp = only(question, "odds-ratio")

    def odds(v):
        p = torch.sigmoid(t64(0.3 + beta * v)).item()
        return p / (1 - p)

    assert comp.inputs["units"] == units
    assert comp.result["odds_ratio"] == pytest.approx(odds(2.0 + units) / odds(2.0), rel=1e-9)


@pytest.mark.parametrize("question, z", [
    ("log odds of 1.5 to probability", 1.5),
    ("what probability does a logit of -2 give", -2.0),
    ("convert log-odds 0.8 to a probability", 0.8),
    ("if z = 2 what's the predicted probability in logistic regression", 2.0),
    ("decision function output 3, probability?", 3.0),
    ("the linear part equals -1, what is p", -1.0),
    ("log-odds are 0, what probability", 0.0),
])
def test_log_odds_phrasings_give_the_sigmoid(question, z):
    comp = only(question, "log-odds-to-probability")
    assert comp.result["probability"] == pytest.approx(torch.sigmoid(t64(z)).item())
    assert comp.result["odds"] == pytest.approx(math.exp(z))


# -- the sigmoid and its derivative ----------------------------------------------------------------

@pytest.mark.parametrize("question, x", [
    ("sigmoid of 2", 2.0), ("what is sigmoid(0.5)", 0.5), ("σ(3)?", 3.0), ("sigmoid derivative at 2", 2.0),
    ("derivative of sigmoid at x=1", 1.0), ("gradient of sigmoid at 4", 4.0), ("sigmoid'(0)", 0.0),
    ("whats the slope of sigmoid at -3", -3.0), ("compute sigmoid at x = -1", -1.0),
    ("what does the sigmoid output for an input of 10", 10.0),
])
def test_sigmoid_phrasings_match_autograd(question, x):
    comp = only(question, "sigmoid")
    t = t64(x).requires_grad_()
    y = torch.sigmoid(t)
    y.backward()
    assert comp.result["sigmoid"] == pytest.approx(y.item())
    assert comp.result["derivative"] == pytest.approx(t.grad.item())


# -- products such as 0.25^n -----------------------------------------------------------------------

@pytest.mark.parametrize("question, base, exponent", [
    ("0.25^10", 0.25, 10), ("0.25 ** 5", 0.25, 5), ("what is 0.25 to the power of 10", 0.25, 10),
    ("0.9 to the 100th power", 0.9, 100), ("what's 0.9 raised to 50", 0.9, 50), ("(0.25)^10", 0.25, 10),
    ("0.25^n for a 10 layer network", 0.25, 10),
])
def test_powers_match_numpy(question, base, exponent):
    comp = only(question, "power")
    assert comp.result["value"] == pytest.approx(np.power(base, exponent))


@pytest.mark.parametrize("question, layers", [
    ("how small is the gradient after 10 sigmoid layers", 10),
    ("20 layer sigmoid network gradient at first layer", 20),
    ("product of sigmoid derivatives over 6 layers", 6),
    ("a 50-layer deep sigmoid mlp, how much gradient survives", 50),
])
def test_sigmoid_chains_are_the_product_of_maximal_derivatives(question, layers):
    comp = only(question, "chain-product")
    t = torch.zeros(layers, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(t).sum().backward()
    assert comp.result["product"] == pytest.approx(torch.prod(t.grad).item())


# -- BCE and focal loss ----------------------------------------------------------------------------

@pytest.mark.parametrize("question, p, y", [
    ("bce loss when p = 0.9", 0.9, 1), ("binary cross entropy if the model predicts 0.3 for a positive", 0.3, 1),
    ("cross-entropy for predicted probability 0.01 and label 1", 0.01, 1), ("log loss for p=0.8, y=0", 0.8, 0),
    ("what is the bce of 0.6", 0.6, 1), ("bce with prediction 0.2 and true label 0", 0.2, 0),
    ("bce for p=0.3 when the true label is 0", 0.3, 0),
])
def test_bce_phrasings_match_torch(question, p, y):
    comp = only(question, "bce")
    assert comp.inputs["y"] == y
    assert comp.result["loss"] == pytest.approx(F.binary_cross_entropy(t64([p]), t64([float(y)])).item())


def _focal_torch(p, y, gamma, alpha):
    """Focal loss the way torchvision's sigmoid_focal_loss computes it, from logits."""
    logits, target = torch.logit(t64([p])), t64([float(y)])
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    prob = torch.sigmoid(logits)
    p_t = prob * target + (1 - prob) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return loss.item()


@pytest.mark.parametrize("question, p, y, gamma, alpha", [
    ("focal loss for p=0.9 gamma 2", 0.9, 1, 2.0, None),
    ("focal loss at p_t = 0.6", 0.6, 1, 2.0, None),
    ("fl with pt 0.95 and γ=5", 0.95, 1, 5.0, None),
    ("focal loss with gamma=2 alpha=0.25 and p=0.3", 0.3, 1, 2.0, 0.25),
    ("what is the focal loss when the model predicts 0.8 with gamma 3", 0.8, 1, 3.0, None),
    ("how much does focal loss downweight an example with p_t 0.99", 0.99, 1, 2.0, None),
    ("compute focal loss, p = 0.7, γ = 1", 0.7, 1, 1.0, None),
    ("focal loss for a negative with p = 0.2, gamma 2, alpha 0.25", 0.2, 0, 2.0, 0.25),
])
def test_focal_loss_phrasings_match_a_torch_implementation(question, p, y, gamma, alpha):
    comp = only(question, "focal-loss")
    assert comp.result["focal_loss"] == pytest.approx(_focal_torch(p, y, gamma, alpha), rel=1e-9)


@pytest.mark.parametrize("question, prior", [
    ("bias init for prior 0.05", 0.05),
    ("what should the bias be initialised to for pi=0.01 in focal loss", 0.01),
    ("focal loss bias initialization with pi 0.1", 0.1),
    ("prior probability 0.02, what's the bias init", 0.02),
    ("retinanet bias for π = 0.01", 0.01),
    ("initial bias for a positive rate of 1%", 0.01),
])
def test_prior_bias_makes_the_sigmoid_start_at_the_prior(question, prior):
    comp = only(question, "prior-bias")
    assert comp.result["bias"] == pytest.approx(torch.logit(t64(prior)).item())
    assert torch.sigmoid(t64(comp.result["bias"])).item() == pytest.approx(prior)


# -- precision, recall, F1 -------------------------------------------------------------------------

def _sklearn(tp, fp, fn, tn=0):
    y_true = [1] * tp + [0] * fp + [1] * fn + [0] * tn
    y_pred = [1] * tp + [1] * fp + [0] * fn + [0] * tn
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return p, r, f


@pytest.mark.parametrize("question, counts", [
    ("tp 80 fp 20 fn 40", (80, 20, 40)),
    ("tp=50, fp=10, fn=5 what's f1", (50, 10, 5)),
    ("precision recall with 30 true positives 10 false positives 20 false negatives", (30, 10, 20)),
    ("TP = 90, FP = 30, FN = 10, TN = 870 accuracy precision recall", (90, 30, 10)),
    ("TP=90 FP=30 FN=10 TN=870. accuracy, precision, recall?", (90, 30, 10)),
    ("i have 45 tp, 5 fp and 15 fn", (45, 5, 15)),
    ("my model got 100 true positives, 25 false positives, 50 false negatives, what is recall", (100, 25, 50)),
    ("f1 score from tp 10 fp 0 fn 10", (10, 0, 10)),
])
def test_count_phrasings_match_sklearn(question, counts):
    comp = only(question, "precision-recall")
    assert (comp.inputs["tp"], comp.inputs["fp"], comp.inputs["fn"]) == counts
    p, r, f = _sklearn(*counts)
    assert (comp.result["precision"], comp.result["recall"], comp.result["f1"]) == pytest.approx((p, r, f))


@pytest.mark.parametrize("question, matrix", [
    ("confusion matrix [[50, 10], [5, 35]] precision recall", [[50, 10], [5, 35]]),
    ("confusion matrix [[90, 10], [20, 80]] f1?", [[90, 10], [20, 80]]),
    ("f1 for the matrix [90 10; 20 80]", [[90, 10], [20, 80]]),
])
def test_a_matrix_in_the_question_matches_sklearn(question, matrix):
    comp = only(question, "precision-recall")
    cm = np.array(matrix)
    y_true = np.repeat([0, 0, 1, 1], cm.ravel())
    y_pred = np.repeat([0, 1, 0, 1], cm.ravel())
    assert (confusion_matrix(y_true, y_pred) == cm).all()
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary")
    assert (comp.result["precision"], comp.result["recall"], comp.result["f1"]) == pytest.approx((p, r, f))
    assert comp.result["accuracy"] == pytest.approx((y_true == y_pred).mean())


@pytest.mark.parametrize("question, precision, recall", [
    ("f1 for precision 0.8 and recall 0.6", 0.8, 0.6),
    ("precision 0.9 recall 0.3, is that bad for cancer screening?", 0.9, 0.3),
    ("fraud detection model: 95% precision 30% recall, is that good?", 0.95, 0.3),
    ("recall of 0.2 and precision of 0.99 for covid tests is it fine", 0.99, 0.2),
])
def test_f1_from_precision_and_recall_is_their_harmonic_mean(question, precision, recall):
    comp = compute_from_question(question).computations[0]
    assert (comp.inputs["precision"], comp.inputs["recall"]) == (precision, recall)
    assert comp.result["f1"] == pytest.approx(hmean([precision, recall]))
    assert comp.result["missed_fraction"] == pytest.approx(1 - recall)


@pytest.mark.parametrize("question, opener, metric", [
    ("precision 0.9 recall 0.3, is that bad for cancer screening?", "Yes, that is bad", "recall"),
    ("fraud detection model: 95% precision 30% recall, is that good?", "No, that is bad", "recall"),
    ("precision 0.95 recall 0.4 for spam filter, ok?", "Yes, that is good", "precision"),
    ("precision 0.3 recall 0.9 spam filter is that bad", "Yes, that is bad", "precision"),
])
def test_a_use_case_gets_a_verdict_on_the_metric_it_needs(question, opener, metric):
    comp = only(question, "precision-recall-verdict")
    assert comp.sentence.startswith(opener)
    assert f"{metric} matters most" in comp.sentence
    if metric == "recall":
        assert f"misses {round((1 - comp.inputs['recall']) * 100)}%" in comp.sentence


# -- standardizing a value -------------------------------------------------------------------------

@pytest.mark.parametrize("question, x, mean, std", [
    ("z score of 85 with mean 70 std 10", 85, 70, 10),
    ("standardize 85 if mean is 70 and sd 10", 85, 70, 10),
    ("what is the z-score of 120 when mean = 100 and standard deviation = 15", 120, 100, 15),
    ("standardized value of 3 with mean 5 and std 2", 3, 5, 2),
    ("x = 50, mu = 40, sigma = 5, z?", 50, 40, 5),
    ("mean 70 std 10, what is 85 standardized", 85, 70, 10),
    ("how many stds is 90 from a mean of 60 with sd 15", 90, 60, 15),
    ("zscore for 7, average 5, std dev 1", 7, 5, 1),
    ("standard scaler: value 200, mean 150, std 25", 200, 150, 25),
    ("if mean is 10 and std is 2, what's the z for 14", 14, 10, 2),
    ("standardize 85 with mean 70 and variance 100", 85, 70, 10),
])
def test_standardizing_phrasings_match_standard_scaler(question, x, mean, std):
    comp = only(question, "standardize")
    scaler = StandardScaler().fit(np.array([[mean - std], [mean + std]], dtype=float))  # that mean, that std
    assert comp.result["z"] == pytest.approx(scaler.transform([[float(x)]])[0, 0])


def test_incidental_numbers_next_to_a_mean_and_std_are_not_a_value():
    assert not compute_from_question("my feature has mean 50 and std 1000 after 3 epochs, should i scale").computations


@pytest.mark.parametrize("question, number", [
    ("focal loss with p = 1.5", "1.5"), ("standardize 5 with mean 3 and std -2", "-2"),
    ("bias init for prior 1.5", "1.5"), ("precision 1.5 recall 0.3", "1.5"), ("bce p=0", "0"),
])
def test_absurd_numbers_are_named_not_used(question, number):
    worked = compute_from_question(question)
    assert not worked.computations
    assert worked.note().startswith("I ignored") and number in worked.note()


# -- worked examples on other numbers --------------------------------------------------------------

def test_numbers_are_read_as_an_answer_writes_them():
    assert numbers_in("ReLU([−2, −0.5, 0]) in 2017, F1 and 100,000 anchors; 9.5 × 10⁻⁷") == [
        (-2.0, 0), (-0.5, 1), (0.0, 0), (100000.0, 0), (9.5, 1)]


@pytest.mark.parametrize("sentence, foreign", [
    ("For x = 180 cm with mean 170 and standard deviation 10, z = (180 − 170) / 10 = 1.", True),
    ("ReLU works element by element: ReLU([−2, −0.5, 0, 1.5, 3]) = [0, 0, 0, 1.5, 3].", True),
    ("Standardization computes z = (x − μ) / σ, giving mean 0 and standard deviation 1.", False),
    ("Lin et al. (2017) used γ = 2 and α = 0.25 in RetinaNet.", False),  # a fact, not a computation
    ("Standardizing x = 85 with mean 70 and standard deviation 10 gives z = 1.5.", False),
])
def test_a_worked_example_is_foreign_when_its_numbers_are_not_the_students(sentence, foreign):
    numbers = StudentNumbers("z score of 85 with mean 70 std 10 for [-1, 2]",
                             compute_from_question("z score of 85 with mean 70 std 10").computations)
    assert foreign_example(sentence, numbers.allowed, numbers.lists, numbers.named) is foreign


def test_what_only_continues_a_cut_example_goes_with_it():
    question = "precision and recall with TP=40 FP=10 FN=20"
    numbers = StudentNumbers(question, compute_from_question(question).computations)
    text = ("Precision is TP / (TP + FP). For the confusion matrix [[890, 60], [10, 40]], TP = 40 and FP = 60. "
            "Precision = 40 / (40 + 60) = 0.40. Recall = 40 / (40 + 10) = 0.80. Recall ignores false alarms.")
    assert numbers.cut(text) == "Precision is TP / (TP + FP). Recall ignores false alarms."


def test_a_concept_before_the_colon_of_an_example_is_kept():
    question = "3 hyperparameters with 10 values each, grid size?"
    numbers = StudentNumbers(question, compute_from_question(question).computations)
    text = ("With d hyperparameters and n values each, the grid has n^d points, so the cost grows exponentially: "
            "4 hyperparameters with 5 values give 625 configurations.")
    assert numbers.cut(text) == ("With d hyperparameters and n values each, the grid has n^d points, so the cost "
                                 "grows exponentially.")


@pytest.fixture(scope="module")
def answerer(services):
    return services.answerer


def _text_without_markers(answer):
    return re.sub(r" ?\[\d+\]", "", answer.text)


@pytest.mark.parametrize("question, absent", [
    ("relu of [-1, 2, -0.5, 3]", "[−2, −0.5, 0, 1.5, 3]"),
    ("z score of 85 with mean 70 std 10", "180"),
    ("gradient through 20 sigmoid layers", "After 10 sigmoid layers"),
])
def test_an_answer_with_the_students_numbers_does_not_work_another_example(answerer, question, absent):
    answer = answerer.answer(question)
    assert not answer.abstained and answer.computed.computations
    assert answer.text.startswith(answer.computed.computations[0].sentence)
    assert absent not in answer.text


def test_the_written_answer_on_the_students_own_numbers_is_kept(answerer):
    answer = answerer.answer("how much smaller is focal loss than bce for p=0.99 with gamma=2")
    assert answer.source == "authored" and "(1 − 0.99)² = 0.01²" in answer.text


def test_a_use_case_question_leads_with_the_verdict(answerer):
    answer = answerer.answer("precision 0.9 recall 0.3, is that bad for cancer screening?")
    text = _text_without_markers(answer)
    assert text.startswith("Yes, that is bad for cancer screening")
    assert "misses 70% of the cancers" in text


@pytest.mark.parametrize("question", ["standardize 85 if mean is 70 and sd 10", "bias init for prior 0.02",
                                      "what should the bias be initialised to for pi=0.03 in focal loss",
                                      "tp 80 fp 20 fn 40"])
def test_the_calculator_answers_what_it_reads(answerer, question):
    """Even where the off-topic classifier alone would refuse: our formula took the numbers."""
    answer = answerer.answer(question)
    assert not answer.abstained
    assert answer.computed.computations and answer.text.startswith(answer.computed.computations[0].sentence)


def test_a_written_answer_that_already_states_the_result_is_not_repeated(answerer):
    answer = answerer.answer("bias init for prior 0.05")
    assert answer.source == "authored" and "≈ −2.94" in answer.text
    assert not answer.text.startswith("For a prior")


def test_a_result_written_with_more_digits_counts_as_stated(answerer):
    """The written answer says CE ≈ 0.1054 and FL ≈ 0.00105; the calculator's 0.105 is the same
    number, so its sentence does not lead with it again, and no worked example on other numbers
    (the hard example at p_t = 0.1) follows the student's own."""
    answer = answerer.answer("p_t = 0.9 and gamma = 2: how much smaller is focal loss than plain cross entropy?")
    text = _text_without_markers(answer)
    assert answer.source == "authored" and answer.computed.computations
    assert text.count("0.00105") == 1 and not text.startswith("Focal loss at p_t")
    assert "1.865" not in text


@pytest.mark.parametrize("text, number, stated", [
    ("CE = −ln(0.9) ≈ 0.1054", "0.105", True),
    ("CE ≈ 0.1059", "0.105", False),  # rounds to 0.106: another number
    ("a factor of 0.0105", "0.105", False),
    ("gives 2.013", "2.01", True),
    ("gives 1.55", "1.5", False),
])
def test_a_number_is_stated_only_as_itself_or_with_more_digits_that_round_to_it(text, number, stated):
    assert _states(text, number) is stated


def test_an_absurd_number_gets_the_concept_and_a_note(answerer):
    answer = answerer.answer("what is the focal loss at p = 1.5 with gamma 2")
    assert not answer.abstained and not answer.computed.computations
    assert "I ignored 1.5" in answer.text and re.search(r"focal loss", answer.text, re.I)


# -- more phrasings: several values, stories, named units ------------------------------------------

def test_several_sigmoid_points_are_computed_element_by_element():
    comp = only("Evaluate the derivative of the logistic sigmoid at x = 0 and at x = 3.", "sigmoid")
    t = t64([0.0, 3.0]).requires_grad_()
    torch.sigmoid(t).sum().backward()
    assert [comp.result["derivative_1"], comp.result["derivative_2"]] == pytest.approx(t.grad.numpy())


def test_two_per_layer_factors_give_two_products():
    worked = compute_from_question("every layer of a 30-layer network multiplies the gradient by a constant factor. "
                                   "Compute the overall factor when the per-layer factor is 1.5, and when it is 0.5.")
    assert [c.result["product"] for c in worked.computations] == pytest.approx([np.prod(np.full(30, 1.5)),
                                                                                 np.prod(np.full(30, 0.5))])


def test_sigmoid_activations_counted_as_a_chain():
    comp = only("a feed-forward net stacks 10 sigmoid activations; bound the gradient shrinkage", "chain-product")
    assert comp.result["product"] == pytest.approx(np.power(0.25, 10))


@pytest.mark.parametrize("question, beta, units", [
    ("the coefficient on 'current smoker' (0/1) is 0.7. What's the odds ratio?", 0.7, 1),
    ("the coefficient on income (measured per $10k) is −0.3. If income rises by $20k, by what factor do the odds "
     "change?", -0.3, 2),
])
def test_coefficients_named_with_their_feature_and_unit(question, beta, units):
    comp = only(question, "odds-ratio")
    assert comp.result["odds_ratio"] == pytest.approx(math.exp(beta * units))


def test_an_odds_ratio_gives_its_coefficient_and_its_percent():
    comp = only("odds ratio for smoking is 2.5 in my logistic model, how do i explain it", "odds-ratio")
    assert comp.result["coefficient"] == pytest.approx(torch.log(t64(2.5)).item())
    assert "150% higher odds" in comp.sentence and "not 2.5 times the probability" in comp.sentence


@pytest.mark.parametrize("question, b0", [("my logistic model intercept is −2. what probability when all features are 0?", -2.0),
                                          ("what does the intercept in logistic regression represent? mine is -2.1", -2.1)])
def test_an_intercept_is_the_baseline_probability(question, b0):
    comp = only(question, "log-odds-to-probability")
    assert comp.result["probability"] == pytest.approx(torch.sigmoid(t64(b0)).item())


def test_a_fitted_one_feature_model_is_evaluated():
    comp = only("A fitted model is logit(p) = −3 + 0.8x. At what x is p = 0.5, and what's p at x = 5?", "logistic-model")
    assert comp.result["x_at_p_half"] == pytest.approx(3.75)
    assert torch.sigmoid(t64(-3 + 0.8 * comp.result["x_at_p_half"])).item() == pytest.approx(0.5)
    assert comp.result["probability_1"] == pytest.approx(torch.sigmoid(t64(-3 + 0.8 * 5)).item())


def test_log_loss_for_both_labels_at_one_probability():
    worked = compute_from_question("Compute the log loss with true label 1 and predicted probability 0.9, then for true "
                                   "label 0 with the same predicted 0.9")
    losses = {c.inputs["y"]: c.result["loss"] for c in worked.computations}
    for y in (0, 1):
        assert losses[y] == pytest.approx(F.binary_cross_entropy(t64([0.9]), t64([float(y)])).item())


@pytest.mark.parametrize("question, p_ts", [
    ("With γ = 2, compute the focal modulating factor for p_t = 0.9 and for p_t = 0.5", [0.9, 0.5]),
    ("same settings (γ = 2, α = 0.25) but the probability of the true class is only 0.1; compute CE and FL and compare with p_t = 0.9",
     [0.1, 0.9]),
])
def test_several_focal_points(question, p_ts):
    worked = compute_from_question(question)
    assert [c.inputs["p_t"] for c in worked.computations] == p_ts
    alpha = worked.computations[0].inputs.get("alpha")
    for c, p in zip(worked.computations, p_ts):
        assert c.result["focal_loss"] == pytest.approx(_focal_torch(p, 1, 2.0, alpha), rel=1e-9)
        assert c.result["modulating_factor"] == pytest.approx((1 - p) ** 2)


@pytest.mark.parametrize("question, tp, fp, fn, tn", [
    ("Out of 1,000 transactions, 50 are truly fraudulent. The model flags 60 transactions, 30 of which are real fraud. "
     "accuracy, precision and recall?", 30, 30, 20, 920),
    ("A spam filter flags 200 emails; 190 of them really are spam. There were 250 spam emails in total.", 190, 10, 60, None),
    ("1000 transactions, 10 are fraud. model flags 50 and 8 of them are actually fraud. precision and recall?", 8, 42, 2, 948),
])
def test_counts_told_as_a_story_match_sklearn(question, tp, fp, fn, tn):
    comp = only(question, "precision-recall")
    assert (comp.inputs["tp"], comp.inputs["fp"], comp.inputs["fn"], comp.inputs.get("tn")) == (tp, fp, fn, tn)
    p, r, f = _sklearn(tp, fp, fn, tn or 0)
    assert (comp.result["precision"], comp.result["recall"]) == pytest.approx((p, r))
    if tn is not None:
        assert comp.result["accuracy"] == pytest.approx((tp + tn) / (tp + fp + fn + tn))


def test_an_8_bit_pixel_is_scaled_to_one_before_imagenet_normalization():
    comp = only("A red-channel pixel has value 200 (8-bit). After ToTensor and ImageNet normalization (mean 0.485, "
                "std 0.229 for red), what value does the network see?", "standardize")
    x = torch.full((3, 1, 1), 200, dtype=torch.uint8).double() / 255  # what ToTensor does
    assert comp.result["z"] == pytest.approx(((x[0] - 0.485) / 0.229).item())


def test_robust_scaling_from_quartiles_matches_sklearn():
    from sklearn.preprocessing import RobustScaler

    comp = only("a feature has median 50, first quartile 40 and third quartile 70. What does a value of 95 become?",
                "robust-scale")
    data = np.array([[40.0], [40.0], [50.0], [70.0], [70.0]])  # median 50, q25 = 40, q75 = 70
    assert comp.result["scaled"] == pytest.approx(RobustScaler().fit(data).transform([[95.0]])[0, 0])


@pytest.mark.parametrize("question, configurations, fits", [
    ("6 hyperparameters, 5 values each — how many runs for a full grid search? and with 5 fold cv on top?", 5 ** 6, 5 ** 7),
    ("A grid over 5 learning rates × 4 depths × 3 regularization strengths, each scored with 5-fold cross-validation. "
     "How many model fits?", 60, 300),
])
def test_grid_sizes_with_cross_validation(question, configurations, fits):
    from sklearn.model_selection import ParameterGrid

    comp = only(question, "grid-size")
    grid = ParameterGrid({f"h{i}": list(range(comp.inputs[f"values_{i}"]))
                          for i in range(1, 1 + sum(k.startswith("values_") for k in comp.inputs))})
    assert comp.result["configurations"] == len(grid) == configurations
    assert comp.result["fits"] == fits


@pytest.mark.parametrize("question, xs, slope", [
    ("what are relu(-3) and relu(2.5), and what are the gradients at those points", [-3, 2.5], None),
    ("Write down the rectifier and its derivative, then evaluate both at x = −2, 0.5 and 3.", [-2, 0.5, 3], None),
    ("Leaky ReLU with slope 0.01 on the negative side: give the output and the gradient at x = −5 and at x = 5.",
     [-5, 5], 0.01),
])
def test_relu_at_named_points_matches_torch(question, xs, slope):
    comp = compute_from_question(question).computations[0]
    x = t64(xs).requires_grad_()
    y = F.leaky_relu(x, slope) if slope else F.relu(x)
    y.sum().backward()
    assert [comp.result[f"y_{i + 1}"] for i in range(len(xs))] == pytest.approx(y.detach().numpy())
    assert [comp.result[f"derivative_{i + 1}"] for i in range(len(xs))] == pytest.approx(x.grad.numpy())


def test_values_written_out_are_batch_normalized_but_batch_sizes_are_not():
    comp = only("one feature's values in a mini-batch are 2, 4, 6 and 8. Apply batch normalization with γ = 1, β = 0",
                "batch-norm")
    bn = torch.nn.BatchNorm1d(1, dtype=torch.float64).train()
    y = bn(t64([[2.0], [4.0], [6.0], [8.0]])).detach().numpy().ravel()
    assert [comp.result[f"y_{i}"] for i in range(1, 5)] == pytest.approx(y)
    assert not compute_from_question("batch norm with batch size 32, 64 and 128").computations


def test_a_running_statistic_update_matches_torch_batchnorm():
    comp = only("with PyTorch's momentum=0.1, a channel's running mean is 2.0 and the current batch mean is 4.0. "
                "What's the new running mean?", "bn-running-update")
    bn = torch.nn.BatchNorm1d(1, momentum=0.1, dtype=torch.float64)
    bn.running_mean.fill_(2.0)
    bn.train()(t64([[3.0], [5.0]]))  # batch mean 4
    assert comp.result["new_running"] == pytest.approx(bn.running_mean.item())


@pytest.mark.parametrize("question, fan_in", [
    ("A fully connected ReLU layer has 512 inputs. With He (Kaiming) normal initialization, what std?", 512),
    ("he init std for a layer with fan_in = 512?", 512),
])
def test_he_init_std_matches_torch(question, fan_in):
    comp = only(question, "init-std")
    w = torch.empty(4000, fan_in, dtype=torch.float64)
    torch.nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert comp.result["std"] == pytest.approx(math.sqrt(2 / fan_in))
    assert w.std().item() == pytest.approx(comp.result["std"], rel=0.02)


def test_a_computed_question_is_answered_from_the_formulas_article(answerer):
    answer = answerer.answer("z score of 85 when mean is 70 and std is 10?")
    assert answer.citations[0].chunk.topic == "feature-scaling"
    assert "Wald" not in answer.text


def test_a_concept_that_sets_up_a_case_is_kept(answerer):
    """"With the usual bias of 0, every anchor starts at p = 0.5, so …" is why the init matters, not
    another example: it stays when the student asks about another prior."""
    answer = answerer.answer("what should the bias be initialised to for pi=0.02 in focal loss")
    assert answer.text.startswith("For a prior π = 0.02")
    assert "With the usual bias of 0" in answer.text and "−4.6" not in answer.text


# -- F-beta next to F1 -----------------------------------------------------------------------------

def _labels_with(precision, recall, tp=72):
    """Label arrays whose precision and recall are the given ones (tp chosen so the counts are whole)."""
    fp, fn = round(tp / precision) - tp, round(tp / recall) - tp
    assert tp / (tp + fp) == pytest.approx(precision) and tp / (tp + fn) == pytest.approx(recall)
    return [1] * tp + [0] * fp + [1] * fn, [1] * tp + [1] * fp + [0] * fn


@pytest.mark.parametrize("question, precision, recall, beta", [
    ("With precision 0.9 and recall 0.5, compute F1. Then compute F2 and say what β = 2 emphasizes.", 0.9, 0.5, 2.0),
    ("precision 0.9 recall 0.5, what is F0.5?", 0.9, 0.5, 0.5),
    ("F-beta with beta = 0.5 for precision 0.8 and recall 0.6", 0.8, 0.6, 0.5),
    ("tp 45 fp 5 fn 45, f2 score?", 0.9, 0.5, 2.0),
])
def test_f_beta_next_to_f1_matches_sklearn(question, precision, recall, beta):
    from sklearn.metrics import f1_score, fbeta_score

    worked = compute_from_question(question)
    (comp,) = [c for c in worked.computations if c.tool == "f-beta"]
    y_true, y_pred = _labels_with(precision, recall)
    assert comp.inputs["beta"] == beta
    assert comp.result["f_beta"] == pytest.approx(fbeta_score(y_true, y_pred, beta=beta))
    assert comp.result["f1"] == pytest.approx(f1_score(y_true, y_pred))
    assert f"≈ {round(fbeta_score(y_true, y_pred, beta=beta), 3):g}" in comp.sentence
    assert "(1 + β²)PR / (β²P + R)" in comp.sentence and "times as much as precision" in comp.sentence
    assert worked.computations[0].tool != "f-beta"  # F1 (or the counts) first, then F-beta


def test_f2_is_stated_with_f1_and_what_beta_2_emphasizes():
    worked = compute_from_question("With precision 0.9 and recall 0.5, compute F1. Then compute F2 and say what "
                                   "β = 2 emphasizes.")
    f1, f2 = worked.computations
    assert "≈ 0.643" in f1.sentence and "F2 = " in f2.sentence and "≈ 0.549" in f2.sentence
    assert "counts recall β = 2 times as much as precision" in f2.sentence and "β² = 4" in f2.sentence


@pytest.mark.parametrize("question", ["compute F1 for precision 0.9 recall 0.5", "the f1 score for precision 0.8 "
                                      "recall 0.6", "what is the F2 score", "F2 is better for recall-heavy problems"])
def test_no_f_beta_without_a_beta_or_without_precision_and_recall(question):
    assert not any(c.tool == "f-beta" for c in compute_from_question(question).computations)


# -- min-max scaling: from listed values, inverted, outside the training range -------------------------

@pytest.mark.parametrize("question, values, x", [
    ("ages in my feature are 20, 30, 40, 50, 60. what's 40 after min-max scaling", [20, 30, 40, 50, 60], 40),
    ("min-max normalize [3, 7, 11]; what does 9 become", [3, 7, 11], 9),
    ("min-max scale 20, 30, 40 and 50", [20, 30, 40, 50], None),
])
def test_min_max_from_listed_values_matches_sklearn(question, values, x):
    from sklearn.preprocessing import MinMaxScaler

    comp = only(question, "min-max")
    scaler = MinMaxScaler().fit(np.array(values, dtype=float).reshape(-1, 1))
    assert (comp.result["min"], comp.result["max"]) == (scaler.data_min_[0], scaler.data_max_[0])
    if x is not None:
        assert comp.result["scaled"] == pytest.approx(scaler.transform([[x]])[0, 0])
    else:
        scaled = [comp.result[f"scaled_{i + 1}"] for i in range(len(values))]
        assert scaled == pytest.approx(scaler.transform(np.reshape(values, (-1, 1))).ravel())


def test_min_max_of_40_among_ages_is_a_half():
    comp = only("ages in my feature are 20, 30, 40, 50, 60. what's 40 after min-max scaling", "min-max")
    assert "min 20 and max 60" in comp.sentence and "(40 − 20) / (60 − 20) = 0.5" in comp.sentence


@pytest.mark.parametrize("question, lo, hi, x, y", [
    ("Min-max scale a value of 30 when the feature's training min is 10 and max is 60 (target range [0, 1]). "
     "Which raw value would map to 0.9?", 10, 60, 30, 0.9),
    ("min-max scaler with min 10 max 60, which raw value maps to 0.9?", 10, 60, None, 0.9),
    ("min-max scaled value of 0.25 corresponds to what original value if the min is 4 and the max is 8", 4, 8, None,
     0.25),
    ("with min-max scaling from 0 to 100, what original value gives 0.3", 0, 100, None, 0.3),
])
def test_inverse_min_max_matches_sklearn_inverse_transform(question, lo, hi, x, y):
    from sklearn.preprocessing import MinMaxScaler

    worked = compute_from_question(question)
    scaler = MinMaxScaler().fit([[float(lo)], [float(hi)]])
    inverse = [c for c in worked.computations if "x" in c.result]
    assert len(inverse) == 1 and inverse[0].inputs["scaled"] == y
    assert inverse[0].result["x"] == pytest.approx(scaler.inverse_transform([[y]])[0, 0])
    forward = [c for c in worked.computations if "scaled" in c.result]
    assert len(forward) == (x is not None)
    if x is not None:
        assert forward[0].result["scaled"] == pytest.approx(scaler.transform([[x]])[0, 0])
        assert worked.computations[0] is forward[0]


def test_inverse_min_max_for_the_example_states_55():
    worked = compute_from_question("Min-max scale a value of 30 when the feature's training min is 10 and max is 60 "
                                   "(target range [0, 1]). Which raw value would map to 0.9?")
    assert [c.sentence.endswith("= 0.4.") for c in worked.computations] == [True, False]
    assert "x = min + 0.9 × (max − min) = 10 + 0.9 × 50 = 55" in worked.computations[1].sentence


@pytest.mark.parametrize("question, lo, hi, x", [
    ("I fit a MinMaxScaler on training data where the feature ranged from 0 to 100. In production a value of 130 "
     "comes in and gets transformed to something above 1. Is the scaler broken?", 0, 100, 130),
    ("the min-max scaler was fit on values between 10 and 20; what does 25 map to", 10, 20, 25),
    ("min max scaling: value 150, min 0, max 100", 0, 100, 150),
])
def test_a_value_outside_the_training_range_maps_outside_0_1_as_sklearn_does(question, lo, hi, x):
    from sklearn.preprocessing import MinMaxScaler

    comp = only(question, "min-max")
    scaler = MinMaxScaler().fit([[float(lo)], [float(hi)]])
    assert comp.result["scaled"] == pytest.approx(scaler.transform([[x]])[0, 0])
    assert comp.result["scaled"] > 1
    clipped = MinMaxScaler(clip=True).fit([[float(lo)], [float(hi)]]).transform([[x]])[0, 0]
    assert clipped == 1.0 and "clip=True" in comp.sentence
    assert "outside [0, 1]" in comp.sentence and "not a bug" in comp.sentence


def test_a_value_inside_the_range_keeps_the_short_sentence():
    comp = only("min-max scale x = 5 with min 0 and max 10", "min-max")
    assert comp.sentence == "Min-max scaling x = 5 with min 0 and max 10 gives (x − min) / (max − min) = 0.5."


@pytest.mark.parametrize("question", [
    "what is min-max scaling?", "min-max scaling vs standardization for 3 features",
    "is min-max scaling sensitive to outliers, e.g. one value of 1000?",
    "a feature ranged from 0 to 100, should I standardize it?",
    "my training set has 20, 30 and 40 samples per class",
])
def test_no_min_max_without_its_numbers(question):
    assert not any(c.tool == "min-max" for c in compute_from_question(question).computations)


# -- GELU and SiLU at a value ----------------------------------------------------------------------

@pytest.mark.parametrize("question, tool, xs", [
    ("what is GELU(1)?", "gelu", [1.0]), ("gelu at x = 0.5 and x = -2", "gelu", [0.5, -2.0]),
    ("SiLU at x = −1", "silu", [-1.0]), ("what does swish output for an input of 2", "silu", [2.0]),
    ("silu(0)", "silu", [0.0]), ("SiLU(x) = x·σ(x), what is it at x = 2", "silu", [2.0]),
])
def test_gelu_and_silu_match_torch(question, tool, xs):
    worked = compute_from_question(question)
    assert [c.tool for c in worked.computations] == [tool] * len(xs)
    fn = F.gelu if tool == "gelu" else F.silu
    for comp, x in zip(worked.computations, xs):
        assert comp.inputs["x"] == x
        assert comp.result[tool] == pytest.approx(fn(t64(x)).item(), abs=1e-12)
    assert ("0.5·x·(1 + erf(x / √2))" if tool == "gelu" else "x·σ(x)") in worked.computations[0].sentence


def test_gelu_at_one_is_x_times_the_normal_cdf():
    from scipy.stats import norm

    comp = only("what is GELU(1)?", "gelu")
    assert comp.result["phi"] == pytest.approx(norm.cdf(1.0)) and "≈ 0.841" in comp.sentence


@pytest.mark.parametrize("question", ["what is GELU?", "gelu vs relu for 12 layers", "why do transformers use gelu",
                                      "silu or swish in a 3 layer mlp?"])
def test_no_gelu_or_silu_without_a_value(question):
    assert not any(c.tool in {"gelu", "silu"} for c in compute_from_question(question).computations)


# -- a 3×3 filter at the centre of a patch ---------------------------------------------------------

_SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
_PATCH = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def _correlate_centre(patch, kernel):
    from scipy.ndimage import correlate

    patch = np.array(patch, dtype=float)
    c = len(patch) // 2
    return correlate(patch, np.array(kernel, dtype=float), mode="constant")[c, c]


@pytest.mark.parametrize("question, patch, kernels", [
    ("Consider the 3×3 patch [[1,2,3],[4,5,6],[7,8,9]]. Compute the output at the centre for (a) a 3×3 box (mean) "
     "filter and (b) the horizontal-gradient Sobel kernel [[−1,0,1],[−2,0,2],[−1,0,1]].", _PATCH,
     [np.ones((3, 3)) / 9, _SOBEL_X]),
    ("Apply a Gaussian blur to the patch [[10, 10, 10], [10, 50, 10], [10, 10, 10]], value at the centre?",
     [[10, 10, 10], [10, 50, 10], [10, 10, 10]], [np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16]),
    ("laplacian and sharpen on [[1,2,3],[4,5,6],[7,8,9]]", _PATCH,
     [[[0, 1, 0], [1, -4, 1], [0, 1, 0]], [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]]),
    ("Sobel x and y on patch [[1,2,3],[4,5,6],[7,8,9]]", _PATCH, [_SOBEL_X, np.transpose(_SOBEL_X)]),
    ("sobel y on [[1, 2, 3], [4, 5, 6], [7, 8, 9]]", _PATCH, [np.transpose(_SOBEL_X)]),
    ("apply the kernel [[0,1,0],[0,0,0],[0,0,0]] to the patch [[1,2,3],[4,5,6],[7,8,9]]", _PATCH,
     [[[0, 1, 0], [0, 0, 0], [0, 0, 0]]]),
    ("5x5 image [[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4,5]] sobel at the centre",
     [[1, 2, 3, 4, 5]] * 5, [_SOBEL_X]),
])
def test_a_filter_at_the_centre_of_a_patch_matches_scipy_correlate(question, patch, kernels):
    from scipy.ndimage import convolve

    worked = compute_from_question(question)
    assert [c.tool for c in worked.computations] == ["filter"] * len(kernels)
    for comp, kernel in zip(worked.computations, kernels):
        assert comp.result["output"] == pytest.approx(_correlate_centre(patch, kernel))
        if "convolution" in comp.result:
            c = len(patch) // 2
            flipped = convolve(np.array(patch, dtype=float), np.array(kernel, dtype=float), mode="constant")[c, c]
            assert comp.result["convolution"] == pytest.approx(flipped)


def test_the_box_and_sobel_example_states_5_and_8_and_the_convention():
    box, sobel = compute_from_question(
        "Consider the 3×3 patch [[1,2,3],[4,5,6],[7,8,9]]. Compute the output at the centre for (a) a 3×3 box (mean) "
        "filter and (b) the horizontal-gradient Sobel kernel [[−1,0,1],[−2,0,2],[−1,0,1]].").computations
    assert "45 / 9 = 5" in box.sentence
    patch = torch.tensor(_PATCH, dtype=torch.float64).reshape(1, 1, 3, 3)
    weight = torch.tensor(_SOBEL_X, dtype=torch.float64).reshape(1, 1, 3, 3)
    assert F.conv2d(patch, weight).item() == sobel.result["output"] == 8  # PyTorch's conv is cross-correlation
    assert "= 8 (cross-correlation" in sobel.sentence and "OpenCV's filter2D" in sobel.sentence


@pytest.mark.parametrize("question", [
    "what does a sobel filter do?", "box filter vs gaussian blur for 3x3 kernels",
    "confusion matrix [[5,1,0],[1,6,2],[0,1,7]], which filter threshold?",
    "my data is [[1,2,3],[4,5,6],[7,8,9]]",
])
def test_no_filter_without_a_patch_and_a_kernel(question):
    assert not any(c.tool == "filter" for c in compute_from_question(question).computations)


def test_a_patch_with_a_filter_word_is_not_a_confusion_matrix_but_a_2x2_matrix_still_is():
    worked = compute_from_question("box filter on [[1,2],[3,4]]")
    assert not worked.computations and "[[1,2],[3,4]]" in worked.note()
    assert [c.tool for c in compute_from_question("precision and recall for confusion matrix [[50, 10], [5, 35]] "
                                                  "and a gaussian noise filter").computations] == ["precision-recall"]


# -- vector arithmetic and cosine similarity over named vectors -------------------------------------

@pytest.mark.parametrize("question, terms, target", [
    ("Toy analogy problem: with 2-D embeddings king = (3, 4), man = (1, 1), woman = (1, 3), compute king − man + "
     "woman, then its cosine similarity to queen = (3, 5).", [(1, [3, 4]), (-1, [1, 1]), (1, [1, 3])], [3, 5]),
    ("paris = (1, 2, 0), france = (1, 1, 0), italy = (0, 1, 1), rome = (0, 2, 1): paris - france + italy, cosine "
     "with rome?", [(1, [1, 2, 0]), (-1, [1, 1, 0]), (1, [0, 1, 1])], [0, 2, 1]),
    ("x = (1, 2) and y = (3, 4), compute x + y", [(1, [1, 2]), (1, [3, 4])], None),
    ("a = [1, -2, 3, 0.5], b = [2, 1, 0, 1], c = [0, 0, 1, 1]: a – b + c and its cosine to b",
     [(1, [1, -2, 3, 0.5]), (-1, [2, 1, 0, 1]), (1, [0, 0, 1, 1])], [2, 1, 0, 1]),
])
def test_vector_arithmetic_and_cosine_match_numpy(question, terms, target):
    comp = only(question, "vector-analogy")
    expected = sum(sign * np.array(v, dtype=float) for sign, v in terms)
    assert [comp.result[f"result_{i + 1}"] for i in range(len(expected))] == pytest.approx(expected)
    if target is None:
        assert "cosine" not in comp.result
        return
    t = np.array(target, dtype=float)
    assert comp.result["dot"] == pytest.approx(np.dot(expected, t))
    assert (comp.result["norm_result"], comp.result["norm_target"]) == pytest.approx(
        (np.linalg.norm(expected), np.linalg.norm(t)))
    assert comp.result["cosine"] == pytest.approx(np.dot(expected, t) / np.linalg.norm(expected) / np.linalg.norm(t))


def test_the_king_queen_example_states_the_vector_the_dot_the_norms_and_the_cosine():
    comp = only("Toy analogy problem: with 2-D embeddings king = (3, 4), man = (1, 1), woman = (1, 3), compute king − "
                "man + woman, then its cosine similarity to queen = (3, 5).", "vector-analogy")
    for part in ("king − man + woman = (3, 4) − (1, 1) + (1, 3) = (3, 6)", "39 / (6.71 × 5.83)", "≈ 0.997"):
        assert part in comp.sentence


def test_cosine_between_two_named_vectors_matches_scipy():
    from scipy.spatial.distance import cosine

    comp = only("cosine similarity between cat = [1, 2, 3] and dog = [2, 3, 4]?", "vector-analogy")
    assert comp.result["cosine"] == pytest.approx(1 - cosine([1, 2, 3], [2, 3, 4]))


@pytest.mark.parametrize("question", [
    "what is king - man + woman", "king = (3, 4) and queen = (3, 5)", "why does king − man + woman give queen in 300-d "
    "word2vec?", "my image mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225), is that right?",
    "king = (3, 4), man = (1, 1, 2): king - man",
])
def test_no_vector_arithmetic_without_named_vectors_and_an_expression(question):
    assert not any(c.tool == "vector-analogy" for c in compute_from_question(question).computations)


def test_scientific_notation_is_one_number():
    """"1e-10" in a question is a gradient norm, not a 10 that would license someone else's
    "After 10 sigmoid layers" example."""
    assert numbers_in("first layer 1e-10, last 1e-2, then 3e−5") == [(1e-10, 0), (0.01, 0), (3e-05, 0)]
