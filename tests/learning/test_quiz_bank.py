"""The question bank is consistent: every answer is checked independently of the bank's own code.

Choice questions: the answer index is in range and the choices are unique. Numeric questions:
static answers are recomputed by hand here; generated ones are recomputed for many seeds with our
tools (tools.confusion_matrix, tools.activations, tools.focal_loss), scikit-learn, scipy or torch
autograd, from the parameters the generator drew. Every question's section is a real ``## ``
heading of its article.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from scipy import integrate, stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import fbeta_score, log_loss, precision_score
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from knowledge.corpus import ARTICLES_DIR, load_articles
from knowledge.quiz_bank import (
    GENERATORS, QUIZ_DIR, BankError, QuizQuestion, instantiate, load_bank_from, numeric_options,
)
from tools.activations import derivative_on_grid
from tools.confusion_matrix import run_confusion_matrix
from tools.focal_loss import focal_loss_np, focal_loss_torch

SEEDS = range(20)
TOPICS = ("vanishing-gradient", "batch-normalization", "relu", "internal-covariate-shift", "logistic-regression",
          "feature-scaling", "precision-recall", "focal-loss", "image-processing", "hyperparameter-tuning",
          "word2vec-vs-bert")


@pytest.fixture(scope="module")
def bank():
    return load_bank_from()


def _f(x) -> float:
    return float(x)


def _headings(slug: str) -> set[str]:
    text = (ARTICLES_DIR / f"{slug}.md").read_text(encoding="utf-8")
    return {line[3:].strip() for line in text.splitlines() if line.startswith("## ")}


# ----------------------------------------------------------------------------- independent recomputations


def _sigmoid_chain(p):
    w, z = _f(p["w"]), _f(p["z"])
    h0 = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    h = h0
    for _ in range(p["layers"]):
        pre = w * h + (z - w * h.detach())  # value z, d(pre)/dh = w
        h = torch.sigmoid(pre)
    (grad,) = torch.autograd.grad(h, h0)
    return grad.item()


def _grad_clip(p):
    param = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    param.grad = torch.tensor([float(p["a"]), float(p["b"])], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([param], _f(p["tau"]))
    return param.grad[0].item()


def _batchnorm(p, eps=1e-5):
    values = [int(v) for v in p["batch"].split(", ")]
    bn = torch.nn.BatchNorm1d(1, eps=eps, dtype=torch.float64)
    bn.train()
    return bn, values, bn(torch.tensor(values, dtype=torch.float64).reshape(-1, 1))


def _bn_output(p):
    values = [int(v) for v in p["batch"].split(", ")]
    bn = torch.nn.BatchNorm1d(1, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.fill_(_f(p["gamma"]))
        bn.bias.fill_(_f(p["beta"]))
    out = bn.train()(torch.tensor(values, dtype=torch.float64).reshape(-1, 1))
    return out[values.index(int(p["value"])), 0].item()


def _bn_running_var(p):
    bn, _, _ = _batchnorm(p)  # default momentum 0.1, running_var starts at 1
    return bn.running_var.item()


def _relu_signal_scale(p):
    second_moment, _ = integrate.quad(lambda z: max(z, 0.0) ** 2 * stats.norm.pdf(z), -12, 12)  # E[relu(z)^2], z~N(0,1)
    per_layer_variance = _f(p["c"]) * second_moment
    return math.sqrt(per_layer_variance ** p["layers"])


def _bn_eval_shift(p):
    bn = torch.nn.BatchNorm1d(1, eps=0.0, dtype=torch.float64)
    with torch.no_grad():
        bn.running_mean.fill_(_f(p["mean"]))
        bn.running_var.fill_(_f(p["sd"]) ** 2)
        bn.weight.fill_(_f(p["gamma"]))
        bn.bias.fill_(_f(p["beta"]))
    return bn.eval()(torch.tensor([[_f(p["x"])]], dtype=torch.float64)).item()


def _logistic_probability(p):
    model = LogisticRegression()
    model.coef_ = np.array([[_f(p["b1"])]])
    model.intercept_ = np.array([_f(p["b0"])])
    model.classes_ = np.array([0, 1])
    return float(model.predict_proba(np.array([[float(p["x"])]]))[0, 1])


def _odds_multiplier(p):
    beta, delta, x0, b0 = _f(p["beta"]), p["delta"], 0.37, -0.2
    p0 = 1 / (1 + math.exp(-(b0 + beta * x0)))
    p1 = 1 / (1 + math.exp(-(b0 + beta * (x0 + delta))))
    return (p1 / (1 - p1)) / (p0 / (1 - p0))


def _log_loss_gradient(p):
    prob, y, x = _f(p["p"]), float(p["y"]), _f(p["x"])
    w = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    logit = torch.logit(torch.tensor(prob, dtype=torch.float64)) + w * x  # w = 0: the prediction is p
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, torch.tensor(y, dtype=torch.float64))
    (grad,) = torch.autograd.grad(loss, w)
    return grad.item()


def _confusion_metric(p):
    matrix = [[p["tn"], p["fp"]], [p["fn"], p["tp"]]]
    result = run_confusion_matrix(matrix)
    positive = result.per_class[1]
    if p["metric"] == "f2":
        y_true, y_pred = [0, 0, 1, 1], [0, 1, 0, 1]
        weights = [p["tn"], p["fp"], p["fn"], p["tp"]]
        return fbeta_score(y_true, y_pred, beta=2, sample_weight=weights)
    if p["metric"] == "accuracy":
        return result.accuracy
    return getattr(positive, p["metric"])


def _precision_at_prevalence(p):
    n = 1_000_000
    tpr, fpr, prev = _f(p["tpr"]), _f(p["fpr"]), _f(p["prev"])
    tp, fn = round(tpr * prev * n), round((1 - tpr) * prev * n)
    fp, tn = round(fpr * (1 - prev) * n), round((1 - fpr) * (1 - prev) * n)
    return precision_score([1, 1, 0, 0], [1, 0, 1, 0], sample_weight=[tp, fn, fp, tn])


def _focal_value(p):
    pt, gamma = _f(p["pt"]), _f(p["gamma"])
    by_tool = float(focal_loss_np(pt, gamma))
    logit = torch.logit(torch.tensor([pt], dtype=torch.float64))
    by_torch = focal_loss_torch(logit, torch.ones(1, dtype=torch.float64), gamma).item()
    assert by_tool == pytest.approx(by_torch, rel=1e-9)
    return by_torch


def _focal_negative(p):
    logit = torch.logit(torch.tensor([_f(p["p"])], dtype=torch.float64))
    return focal_loss_torch(logit, torch.zeros(1, dtype=torch.float64), _f(p["gamma"])).item()


def _conv_output(p):
    conv = torch.nn.Conv2d(1, 1, kernel_size=p["k"], stride=p["s"], padding=p["p"])
    with torch.no_grad():
        return conv(torch.zeros(1, 1, p["h"], p["h"])).shape[-1]


def _uint8_add(p):
    return int((np.array([p["a"]], dtype=np.uint8) + np.array([p["b"]], dtype=np.uint8))[0])


def _sobel_x(p):
    kernel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]).reshape(1, 1, 3, 3)
    patch = torch.tensor(p["patch_list"], dtype=torch.float32).reshape(1, 1, 3, 3)
    return torch.nn.functional.conv2d(patch, kernel).item()  # conv2d is cross-correlation


def _imagenet_normalize(p):
    scaler = StandardScaler()
    scaler.mean_ = np.array([255 * p["mu"]])
    scaler.scale_ = np.array([255 * p["sd"]])
    scaler.n_features_in_ = 1
    return float(scaler.transform(np.array([[float(p["v"])]]))[0, 0])


def _lr_sampling_share(p):
    lo, hi, cut = float(p["lo"]), float(p["hi"]), float(p["cut"])
    dist = stats.uniform(lo, hi - lo) if p["scale"] == "uniform" else stats.loguniform(lo, hi)
    return float(dist.cdf(cut))


def _successive_halving(p):
    configs, epochs, total = p["n"], 1, 0
    while True:
        total += configs * epochs
        if configs == 1:
            return total
        configs //= p["eta"]
        epochs *= p["eta"]


def _unit_distance(p):
    c = _f(p["c"])
    a, b = np.array([1.0, 0.0]), np.array([c, math.sqrt(1 - c * c)])
    return float(np.linalg.norm(a - b))


RECOMPUTE = {
    "sigmoid_chain": _sigmoid_chain,
    "sigmoid_derivative": lambda p: float(derivative_on_grid("sigmoid", np.array([_f(p["x"])]))[1][0]),
    "grad_clip": _grad_clip,
    "bn_output": _bn_output,
    "bn_running_var": _bn_running_var,
    "he_std": lambda p: torch.nn.init.calculate_gain("relu") / math.sqrt(p["fan_in"]),
    "relu_signal_scale": _relu_signal_scale,
    "gelu_value": lambda p: torch.nn.functional.gelu(torch.tensor(_f(p["x"]), dtype=torch.float64)).item(),
    "elu_value": lambda p: torch.nn.functional.elu(torch.tensor(_f(p["x"]), dtype=torch.float64),
                                                   alpha=_f(p["alpha"])).item(),
    "saturated_share": lambda p: float(stats.norm(_f(p["mu"]), _f(p["sd"])).sf(p["zsat"])
                                       + stats.norm(_f(p["mu"]), _f(p["sd"])).cdf(-p["zsat"])),
    "bn_eval_shift": _bn_eval_shift,
    "logistic_probability": _logistic_probability,
    "odds_multiplier": _odds_multiplier,
    "log_loss_gradient": _log_loss_gradient,
    "log_loss_value": lambda p: log_loss([p["y"]], [[1 - _f(p["p"]), _f(p["p"])]], labels=[0, 1]),
    "standardized_condition": lambda p: float(np.linalg.cond(np.array([[1, _f(p["rho"])], [_f(p["rho"]), 1]]))),
    "max_learning_rate": lambda p: 2.0 / float(np.linalg.eigvalsh(np.array(
        [[_f(p["s1"]) ** 2, _f(p["rho"]) * _f(p["s1"]) * _f(p["s2"])],
         [_f(p["rho"]) * _f(p["s1"]) * _f(p["s2"]), _f(p["s2"]) ** 2]])).max()),
    "minmax": lambda p: float(MinMaxScaler().fit(np.array([[p["lo"]], [p["hi"]]], dtype=float))
                              .transform(np.array([[p["x"]]], dtype=float))[0, 0]),
    "confusion_metric": _confusion_metric,
    "precision_at_prevalence": _precision_at_prevalence,
    "focal_value": _focal_value,
    "focal_negative": _focal_negative,
    "prior_bias": lambda p: torch.logit(torch.tensor(_f(p["pi"]), dtype=torch.float64)).item(),
    "conv_output": _conv_output,
    "uint8_add": _uint8_add,
    "sobel_x": _sobel_x,
    "imagenet_normalize": _imagenet_normalize,
    "random_search_hit": lambda p: float(stats.binom.sf(0, p["n"], _f(p["p"]))),
    "lr_sampling_share": _lr_sampling_share,
    "successive_halving": _successive_halving,
    "cosine": lambda p: float(cosine_similarity([p["a_list"]], [p["b_list"]])[0, 0]),
    "unit_distance": _unit_distance,
    "attention_weight": lambda p: torch.softmax(
        torch.tensor([p["s1"], p["s2"], p["s3"]], dtype=torch.float64) / math.sqrt(p["d_k"]), 0)[0].item(),
}

STATIC_NUMERIC = {  # id -> independent computation of the bank's fixed answer
    "vg-rnn-fifty-steps": lambda: float(np.prod(np.full(50, 0.9))),
    "wb-mlm-mask-count": lambda: 2000 * 15 / 100 * 80 / 100,
    # an intercept-only fit: scikit-learn on 3 positives and 7 negatives with one constant feature
    "lr-intercept-only": lambda: float(LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(
        np.zeros((10, 1)), [1] * 3 + [0] * 7).intercept_[0]),
}


# ----------------------------------------------------------------------------- tests


def test_every_topic_has_a_quiz_file_with_at_least_ten_questions(bank):
    assert set(bank) == set(TOPICS) == {a.slug for a in load_articles()}
    for topic in TOPICS:
        assert len(bank[topic]) >= 10, topic
        assert {q.type for q in bank[topic]} == {"choice", "numeric"}, topic


def test_ids_are_unique_and_sections_are_article_headings(bank):
    ids = [q.id for questions in bank.values() for q in questions]
    assert len(ids) == len(set(ids))
    for topic, questions in bank.items():
        headings = _headings(topic)
        for q in questions:
            assert q.section in headings, (q.id, q.section)
            assert q.topic == topic and q.prompt and q.explanation


def test_choice_answers_are_in_range_and_choices_unique(bank):
    for questions in bank.values():
        for q in questions:
            if q.type == "choice":
                assert 0 <= q.answer < len(q.choices), q.id
                assert len({c.strip().lower() for c in q.choices}) == len(q.choices), q.id
                for seed in SEEDS:  # shuffling keeps the right answer attached to its text
                    asked = instantiate(q, random.Random(seed))
                    assert asked.choices[asked.answer] == q.choices[q.answer]
                    assert sorted(asked.choices) == sorted(q.choices)


def test_the_right_choice_cannot_be_spotted_by_its_length(bank):
    choice = [q for questions in bank.values() for q in questions if q.type == "choice"]
    longest = sum(len(q.choices[q.answer]) > max(len(c) for i, c in enumerate(q.choices) if i != q.answer)
                  for q in choice)
    assert longest <= 0.35 * len(choice), f"the right answer is the longest option in {longest}/{len(choice)}"


def test_every_generator_and_static_numeric_question_has_an_independent_check(bank):
    assert set(RECOMPUTE) == set(GENERATORS)
    static = {q.id for questions in bank.values() for q in questions if q.type == "numeric" and not q.generator}
    assert static == set(STATIC_NUMERIC)
    used = {q.generator for questions in bank.values() for q in questions if q.generator}
    assert used == set(GENERATORS), "every generator is used by some question"


def test_static_numeric_answers_match_an_independent_computation(bank):
    for questions in bank.values():
        for q in questions:
            if q.type == "numeric" and not q.generator:
                assert abs(STATIC_NUMERIC[q.id]() - q.answer) <= q.tolerance / 10, q.id


def test_generated_answers_match_tools_sklearn_and_torch(bank):
    for questions in bank.values():
        for spec in questions:
            if not spec.generator:
                continue
            for seed in SEEDS:
                asked = instantiate(spec, random.Random(seed))
                expected = float(RECOMPUTE[spec.generator](asked.params))
                assert abs(expected - asked.value) <= max(1e-9, asked.tolerance / 10), \
                    (spec.id, seed, asked.params, expected, asked.value)


def test_numeric_options_hold_one_right_answer_and_three_clearly_wrong_ones(bank):
    for questions in bank.values():
        for spec in questions:
            if spec.type != "numeric":
                continue
            for seed in range(40):
                asked = instantiate(spec, random.Random(1000 + seed))
                assert len(asked.choices) == 4 and len(set(asked.choices)) == 4, (spec.id, asked.choices)
                shown = [float(c) for c in asked.choices]
                for i, value in enumerate(shown):
                    close = abs(value - asked.value) <= asked.tolerance
                    assert close == (i == asked.answer), (spec.id, seed, asked.choices, asked.value)
                assert "{" not in asked.prompt and "{" not in asked.explanation, spec.id
                assert asked.choices[asked.answer] in asked.explanation, spec.id


def test_fresh_numbers_each_time_but_reproducible_from_the_seed(bank):
    spec = next(q for q in bank["precision-recall"] if q.generator == "confusion_metric")
    prompts = {instantiate(spec, random.Random(seed)).prompt for seed in range(10)}
    assert len(prompts) > 5
    a, b = instantiate(spec, random.Random("s:1")), instantiate(spec, random.Random("s:1"))
    assert a == b
    assert QuizQuestion.from_dict(a.to_dict()) == a


def test_numeric_options_are_always_distinct_around_awkward_values():
    for value in (0.0, 1.0, -3.5, 1e-7, 250.0):
        options, index = numeric_options(value, 1e-9 if value == 1e-7 else 0.0006, "{:.4g}", (), random.Random(0))
        assert len(set(options)) == 4 and float(options[index]) == pytest.approx(value)


def _write_bank(tmp_path: Path, question: dict) -> Path:
    quiz_dir = tmp_path / "quizzes"
    quiz_dir.mkdir()
    (quiz_dir / "relu.yaml").write_text(yaml.safe_dump({"topic": "relu", "questions": [question]}), encoding="utf-8")
    return quiz_dir


GOOD = {"id": "relu-x", "type": "choice", "prompt": "p?", "hint": "h.", "explanation": "e.", "section": "The math",
        "choices": ["a", {"text": "b", "why_wrong": "b confuses x with y."}], "answer": 0}


@pytest.mark.parametrize("change, message", [
    ({"section": "Nope"}, "not a '## ' heading"),
    ({"answer": 2}, "index"),
    ({"choices": ["a", {"text": "A", "why_wrong": "w"}]}, "unique"),
    ({"type": "essay"}, "choice or numeric"),
    ({"type": "numeric", "choices": None, "answer": 1.0, "tolerance": 0}, "tolerance"),
    ({"type": "numeric", "choices": None, "answer": None, "generator": "nope"}, "unknown generator"),
    ({"id": "Bad Id"}, "ids are"),
    ({"colour": "red"}, "unknown keys"),
    ({"hint": None}, "missing hint"),
    ({"choices": ["a", "b"]}, "needs why_wrong"),
    ({"choices": [{"text": "a", "why_wrong": "w"}, {"text": "b", "why_wrong": "w"}]}, "takes no why_wrong"),
    ({"choices": ["a", {"text": "b", "why_wrong": "w", "colour": 1}]}, "unknown keys colour"),
    ({"shuffle": False}, "must not be written first"),
    ({"hint": "It is a, obviously."}, "hint contains the right choice"),
    ({"type": "numeric", "choices": None, "answer": 1.0, "tolerance": 0.1, "hint": "about {answer}"}, "never shows"),
])
def test_a_malformed_bank_is_rejected_with_the_reason(tmp_path, change, message):
    question = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(BankError, match=message):
        load_bank_from(_write_bank(tmp_path, question), ARTICLES_DIR)


def test_the_bundled_bank_validates(tmp_path):
    assert load_bank_from(QUIZ_DIR, ARTICLES_DIR)
    assert load_bank_from(_write_bank(tmp_path, GOOD), ARTICLES_DIR)["relu"][0].id == "relu-x"


# ----------------------------------------------------------------------------- hints, why_wrong, fairness

ORDER_SEEDS = [f"order:{i}" for i in range(400)]  # fixed: the position tests are deterministic, never flaky


def _all(bank):
    return [q for questions in bank.values() for q in questions]


def test_every_question_has_a_hint_and_every_wrong_choice_a_why_wrong(bank):
    questions = _all(bank)
    hints = sum(bool(q.hint.strip()) for q in questions)
    wrong = [(q.id, i) for q in questions if q.type == "choice" for i in range(len(q.choices)) if i != q.answer]
    explained = [(q.id, i) for q in questions if q.type == "choice"
                 for i, why in enumerate(q.why_wrong) if i != q.answer and why.strip()]
    print(f"{hints} hints for {len(questions)} questions; {len(explained)} why_wrong for {len(wrong)} wrong choices")
    assert hints == len(questions) == 159
    assert explained == wrong and len(wrong) == 369
    for q in questions:
        if q.type == "choice":
            assert q.why_wrong[q.answer] == "", q.id
            assert all(len(w) <= 300 for w in q.why_wrong), q.id
            assert q.hint.strip().lower() != q.choices[q.answer].lower()


def test_why_wrong_and_hint_travel_with_the_shuffled_choices(bank):
    for q in _all(bank):
        if q.type != "choice":
            continue
        asked = instantiate(q, random.Random(f"travel:{q.id}"))
        assert asked.hint == q.hint
        for text, why in zip(asked.choices, asked.why_wrong):
            assert why == q.why_wrong[q.choices.index(text)]
        assert QuizQuestion.from_dict(asked.to_dict()) == asked


def test_a_question_stored_before_hints_existed_still_loads():
    old = {"id": "x-old", "topic": "relu", "type": "choice", "prompt": "p", "choices": ["a", "b"], "answer": 1,
           "explanation": "e", "section": "The math", "value": None, "tolerance": None, "params": {}}
    asked = QuizQuestion.from_dict(old)
    assert asked.hint == "" and asked.why_wrong == ()


def test_the_right_option_lands_on_every_position_about_equally_often(bank):
    """Chi-square goodness of fit of the right option's position against uniform, per question."""
    worst = 1.0
    pooled = np.zeros(5)
    for q in _all(bank):
        if q.type == "choice" and not q.shuffle:
            continue
        positions = [instantiate(q, random.Random(f"{seed}:{q.id}")).answer for seed in ORDER_SEEDS]
        n_options = 4 if q.type == "numeric" else len(q.choices)
        counts = np.bincount(positions, minlength=n_options)
        pooled[:n_options] += counts
        p_value = stats.chisquare(counts).pvalue
        worst = min(worst, p_value)
        assert p_value > 1e-4, (q.id, counts.tolist())
        assert counts.min() >= len(ORDER_SEEDS) / n_options * 0.6, (q.id, counts.tolist())
    four = pooled[:4]
    assert stats.chisquare(four).pvalue > 1e-3, four.tolist()
    print(f"worst per-question p = {worst:.3g}; pooled positions A-D = {four.astype(int).tolist()}")


def test_no_question_always_shows_its_answer_first(bank):
    for q in _all(bank):
        firsts = [instantiate(q, random.Random(f"first:{seed}:{q.id}")).answer == 0 for seed in range(50)]
        assert not all(firsts), q.id
    fixed = [q for q in _all(bank) if q.type == "choice" and not q.shuffle]
    assert fixed and all(q.answer != 0 for q in fixed)


def test_the_former_always_first_questions_now_move_or_list_the_answer_later(bank):
    by_id = {q.id: q for q in _all(bank)}
    assert by_id["pr-accuracy-trap"].shuffle
    baseline = by_id["pr-random-baseline"]
    assert not baseline.shuffle and baseline.choices[baseline.answer] == "About 0.05" and baseline.answer > 0
    assert [c.split()[-1] for c in baseline.choices] == sorted(c.split()[-1] for c in baseline.choices)


def test_bn_batch_of_one_keys_what_pytorch_really_does(bank):
    spec = next(q for q in bank["batch-normalization"] if q.id == "bn-batch-of-one")
    layer = torch.nn.BatchNorm1d(3).train()
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(torch.randn(1, 3))
    assert "raises a ValueError" in spec.choices[spec.answer]
    assert torch.nn.BatchNorm2d(3).train()(torch.randn(1, 3, 2, 2)).shape == (1, 3, 2, 2)  # as the explanation says
    beta_only = next(i for i, c in enumerate(spec.choices) if "outputs β" in c)
    assert "refuses" in spec.why_wrong[beta_only]


def test_bert_512_limit_is_keyed_to_its_position_embeddings(bank):
    spec = next(q for q in bank["word2vec-vs-bert"] if q.id == "wb-attention-cost")
    assert "position embeddings" in spec.choices[spec.answer]
    quadratic = next(i for i, c in enumerate(spec.choices) if "squared" in c)
    assert quadratic != spec.answer and "expensive, not impossible" in spec.why_wrong[quadratic]
    article = (ARTICLES_DIR / "word2vec-vs-bert.md").read_text(encoding="utf-8")
    assert "512" in article and "position embedding" in article


def test_give_away_questions_no_longer_give_it_away(bank):
    by_id = {q.id: q for q in _all(bank)}
    assert "exactly 1" not in by_id["vg-relu-fix"].prompt and "derivative" not in by_id["vg-relu-fix"].prompt
    knn = by_id["fs-knn-sensitive"]
    trees = [c for i, c in enumerate(knn.choices) if i != knn.answer and re.search(r"tree|forest|boost", c, re.I)]
    assert len(trees) <= 1, knn.choices
    hyper = by_id["ht-hyper-vs-parameter"]
    wrong = [c.lower() for i, c in enumerate(hyper.choices) if i != hyper.answer]
    assert not any(w in c for c in wrong for w in ("weight", "coefficient", "bias")), hyper.choices
    assert not any("alphabetical" in c for c in by_id["wb-distributional"].choices)
    assert not any(re.search(r"GPU|optimizer|JPEG or PNG", c) for c in by_id["ip-bgr-rgb"].choices)
    noisy = by_id["fl-noisy-labels"]
    assert noisy.prompt != "In which situation can focal loss hurt?"


def test_the_uncovered_sub_topics_now_have_questions(bank):
    text = {q.id: f"{q.prompt} {' '.join(q.choices)} {q.explanation}".lower() for q in _all(bank)}
    def about(topic, *words):
        return [q.id for q in bank[topic] if all(w in text[q.id] for w in words)]
    assert len(about("batch-normalization", "sigmoid", "batch normalization")) >= 2
    assert about("hyperparameter-tuning", "expected improvement") and about("hyperparameter-tuning", "exploration")
    assert len(about("logistic-regression", "intercept")) >= 2
    assert about("image-processing", "mixup") and about("image-processing", "cutmix") \
        and about("image-processing", "randaugment")


def test_numeric_tolerance_covers_the_displayed_rounding_for_every_draw(bank):
    """The shown answer is off from the exact value by at most 90% of the tolerance, whatever is drawn."""
    for q in _all(bank):
        if q.type != "numeric":
            continue
        for seed in range(300 if q.generator else 1):
            asked = instantiate(q, random.Random(f"round:{seed}"))
            shown = float(asked.choices[asked.answer])
            assert abs(shown - asked.value) <= 0.9 * asked.tolerance, (q.id, seed, shown, asked.value)
            assert asked.choices[asked.answer] not in asked.hint.split(), (q.id, asked.hint)


def test_the_rnn_question_rounding_is_well_inside_its_tolerance(bank):
    spec = next(q for q in bank["vanishing-gradient"] if q.id == "vg-rnn-fifty-steps")
    shown = float(format(0.9 ** 50, ".3g"))
    assert abs(shown - 0.9 ** 50) <= spec.tolerance / 5


def test_focal_value_never_asks_for_a_vanishing_loss():
    values = [GENERATORS["focal_value"](random.Random(seed)) for seed in range(2000)]
    assert min(v.answer for v in values) >= 1e-3
    drawn = {(v.params["pt"], v.params["gamma"]) for v in values}
    assert ("0.99", "5") not in drawn and ("0.9", "2") in drawn
