"""Computed answers: each formula against an independent computation, and the question reader."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import precision_recall_fscore_support

from tools.focal_loss import focal_loss_np
from tools.question_math import compute_from_question, fmt


def only(question, topic=None):
    worked = compute_from_question(question, topic)
    assert len(worked.computations) == 1, worked
    return worked.computations[0]


def test_odds_ratio_matches_the_ratio_of_odds_one_unit_apart():
    comp = only("how do I interpret a logistic regression coefficient of 0.7?")
    assert comp.tool == "odds-ratio"
    b0, beta, x = -1.3, 0.7, 2.0

    def odds(v):
        p = torch.sigmoid(torch.tensor(b0 + beta * v, dtype=torch.float64)).item()
        return p / (1 - p)

    assert comp.result["odds_ratio"] == pytest.approx(odds(x + 1) / odds(x), rel=1e-9)
    assert "2.01" in comp.sentence and "e^0.7" in comp.sentence


def test_negative_coefficient_lowers_the_odds():
    comp = only("what does a coef of -0.5 mean in logistic regression")
    assert comp.result["odds_ratio"] == pytest.approx(math.exp(-0.5))
    assert "lower" in comp.sentence


def test_probability_from_log_odds_is_the_sigmoid():
    comp = only("what probability is a log-odds of 2")
    assert comp.result["probability"] == pytest.approx(torch.sigmoid(torch.tensor(2.0, dtype=torch.float64)).item())


@pytest.mark.parametrize("x", [0.0, 2.0, -3.5])
def test_sigmoid_and_its_derivative_match_autograd(x):
    comp = only(f"what is the sigmoid derivative at {x:g}")
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = torch.sigmoid(t)
    y.backward()
    assert comp.result["sigmoid"] == pytest.approx(y.item())
    assert comp.result["derivative"] == pytest.approx(t.grad.item())


def test_tanh_derivative_matches_autograd():
    comp = only("tanh derivative at 1.5")
    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    torch.tanh(t).backward()
    assert comp.result["derivative"] == pytest.approx(t.grad.item())


def test_gradient_through_a_chain_of_sigmoid_layers_is_the_product_of_maximal_slopes():
    comp = only("why does my 20-layer sigmoid net stop learning?")
    # independent: multiply 20 maximal sigmoid derivatives obtained from autograd at z = 0
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(t).sum().backward()
    assert comp.result["product"] == pytest.approx(float(t.grad) ** 20)
    assert comp.inputs["layers"] == 20


def test_vanishing_gradient_topic_reads_bare_depths_as_sigmoid_chains():
    assert only("gradient after 10 layers", topic="vanishing-gradient").result["product"] == pytest.approx(0.25 ** 10)
    assert not compute_from_question("gradient after 10 relu layers", topic="vanishing-gradient").computations


def test_bce_matches_torch():
    comp = only("bce if the model predicts 0.2 and the label is 0")
    expected = F.binary_cross_entropy(torch.tensor([0.2], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64))
    assert comp.result["loss"] == pytest.approx(expected.item())


def test_focal_loss_matches_the_demo_implementation_and_says_how_much_smaller():
    comp = only("focal loss at p_t = 0.9 with gamma 2 and alpha 0.25, vs bce?")
    assert comp.result["focal_loss"] == pytest.approx(float(focal_loss_np(0.9, 2.0, 0.25)))
    assert comp.result["bce"] == pytest.approx(-math.log(0.9))
    assert "400" in comp.sentence


def test_focal_loss_defaults_to_gamma_two():
    comp = only("what is the focal loss when p=0.6")
    assert comp.inputs["gamma"] == 2.0


def test_precision_recall_f1_from_counts_match_sklearn():
    comp = only("precision and recall with TP=40 FP=10 FN=20")
    y_true = [1] * 40 + [0] * 10 + [1] * 20
    y_pred = [1] * 40 + [1] * 10 + [0] * 20
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary")
    assert (comp.result["precision"], comp.result["recall"], comp.result["f1"]) == pytest.approx((p, r, f))


def test_metrics_from_a_matrix_in_the_question_rows_actual():
    comp = only("what are the metrics for [[890, 60], [10, 40]]?")
    cm = np.array([[890, 60], [10, 40]])
    y_true = np.repeat([0, 0, 1, 1], cm.ravel())
    y_pred = np.repeat([0, 1, 0, 1], cm.ravel())
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary")
    assert comp.result["precision"] == pytest.approx(p) and comp.result["recall"] == pytest.approx(r)
    assert comp.result["accuracy"] == pytest.approx((y_true == y_pred).mean())


def test_counts_in_words():
    comp = only("my model has 40 true positives, 60 false positives and 10 false negatives, what's precision")
    assert comp.result["precision"] == pytest.approx(0.4)


def test_standardizing_matches_sklearn():
    from sklearn.preprocessing import StandardScaler

    comp = only("standardize 180 with mean 170 and std 10")
    data = np.array([[160.0], [180.0]])  # mean 170, population std 10
    assert comp.result["z"] == pytest.approx(StandardScaler().fit(data).transform([[180.0]])[0, 0])


@pytest.mark.parametrize("question, number", [
    ("how do I interpret a logistic regression coefficient of 1e9", "1e9"),
    ("focal loss at p = 1.5", "1.5"),
    ("standardize 5 with mean 3 and std 0", "0"),
])
def test_absurd_numbers_are_ignored_and_named(question, number):
    worked = compute_from_question(question)
    assert not worked.computations
    assert number in worked.note() and worked.note().startswith("I ignored")


@pytest.mark.parametrize("question", [
    "my 15 layer tanh net stops improving after epoch 2",
    "how many layers should a cnn have",
    "what is batch normalization",
    "what batch size of 32 or 64 is better",
])
def test_incidental_numbers_are_left_alone(question):
    worked = compute_from_question(question)
    assert not worked.computations and not worked.ignored


def test_at_most_three_computations_and_no_eval():
    worked = compute_from_question("coefficient 0.1, log-odds 1, sigmoid at 2, tanh at 1, 0.5^3 __import__('os')")
    assert len(worked.computations) <= 3


def test_numbers_are_written_for_students():
    assert fmt(2.0137527) == "2.01"
    assert fmt(9.5367e-7) == "9.54 × 10^-7"
    assert fmt(-0.5) == "−0.5"


def test_a_per_layer_factor_above_one_explodes():
    comp = only("exploding gradients: if each layer multiplies the grad by 1.5, how big after 20 layers")
    assert comp.result["product"] == pytest.approx(np.prod(np.full(20, 1.5)))
    assert "3,325" in comp.sentence


def test_robust_and_range_scaling_match_sklearn():
    from sklearn.preprocessing import MinMaxScaler, RobustScaler

    comp = only("robust scaling: value 15 with median 10 and IQR 20?")
    data = np.array([[-10.0], [10.0], [30.0]])  # median 10, IQR = q75 − q25 = 20 − 0 = 20
    assert RobustScaler().fit(data).transform([[15.0]])[0, 0] == pytest.approx(comp.result["scaled"])
    comp = only("scale x=25 to [-1, 1] when the feature goes from 0 to 100")
    mm = MinMaxScaler(feature_range=(-1, 1)).fit([[0.0], [100.0]])
    assert comp.result["scaled"] == pytest.approx(mm.transform([[25.0]])[0, 0])


def test_grayscale_matches_scikit_image():
    from skimage.color import rgb2gray

    comp = only("grayscale value for the pixel (R,G,B) = (100, 200, 50)?")
    # scikit-image uses the Rec. 709 weights; ours are the Rec. 601 (OpenCV, PIL "L") ones
    from PIL import Image

    pil = Image.new("RGB", (1, 1), (100, 200, 50)).convert("L").getpixel((0, 0))
    assert round(comp.result["gray"]) == pil
    assert rgb2gray(np.array([[[100, 200, 50]]], dtype=np.uint8)).shape == (1, 1)


def test_grid_size_bert_masking_and_conv_output():
    assert only("3 hyperparameters with 10 values each, grid size?").result["configurations"] == 10 ** 3
    comp = only("bert masks 15% of a 200 token sequence. how many become [MASK]")
    assert comp.result["mask"] == pytest.approx(24)
    conv = torch.nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1)
    out = conv(torch.zeros(1, 1, 224, 224)).shape[-1]
    assert only("224x224 input, conv with kernel 3, stride 2, padding 1, output size?").result["output"] == out


def test_a_word_problem_gives_the_confusion_counts():
    comp = only("1000 transactions, 10 are fraud. model flags 50 and 8 of them are actually fraud. precision and recall?")
    assert comp.result["precision"] == pytest.approx(8 / 50) and comp.result["recall"] == pytest.approx(8 / 10)


# -- lists element by element, batch normalization ------------------------------------------------

def _list(comp, name):
    return [comp.result[f"{name}_{i + 1}"] for i in range(sum(k.startswith(f"{name}_") for k in comp.result))]


def test_relu_of_a_list_and_its_derivative_match_numpy():
    comp = only("relu of [-2, 0.5, 3, 0]")
    x = np.array([-2, 0.5, 3, 0])
    assert _list(comp, "y") == pytest.approx(np.maximum(0, x))
    assert _list(comp, "derivative") == pytest.approx((x > 0).astype(float))  # PyTorch: 0 at exactly 0
    assert "[0, 0.5, 3, 0]" in comp.sentence and "[0, 1, 1, 0]" in comp.sentence
    assert "ReLU(−2) = 0, ReLU(0.5) = 0.5" in comp.sentence  # a few values are also read one by one
    assert all(math.copysign(1.0, y) == 1.0 for y in _list(comp, "y"))  # 0, never −0.0, in --json


def test_a_long_relu_list_is_stated_as_vectors_only():
    comp = only("relu of [-2, 0.5, 3, 0, 1]")
    assert "[0, 0.5, 3, 0, 1]" in comp.sentence and "ReLU(−2) =" not in comp.sentence


def test_leaky_relu_of_a_list_matches_torch():
    comp = only("leaky relu with slope 0.1 of [-1, 2, -0.5]")
    x = torch.tensor([-1, 2, -0.5], dtype=torch.float64, requires_grad=True)
    y = F.leaky_relu(x, 0.1)
    y.sum().backward()
    assert _list(comp, "y") == pytest.approx(y.detach().numpy())
    assert _list(comp, "derivative") == pytest.approx(x.grad.numpy())


def test_sigmoid_of_a_list_and_its_derivative_match_numpy():
    comp = only("sigmoid of [0, 2, -2]")
    x = np.array([0.0, 2.0, -2.0])
    s = 1 / (1 + np.exp(-x))
    assert _list(comp, "sigmoid") == pytest.approx(s)
    assert _list(comp, "derivative") == pytest.approx(s * (1 - s))


@pytest.mark.parametrize("question", ["sigmoid derivative when x is 2", "slope of the sigmoid unit when its input is 2",
                                      "derivative of a sigmoid at x = 2", "σ'(x) at x = 2"])
def test_sigmoid_derivative_phrasings_are_read(question):
    comp = only(question)
    s = 1 / (1 + np.exp(-2.0))
    assert comp.tool == "sigmoid" and comp.result["derivative"] == pytest.approx(s * (1 - s))


def test_a_layer_count_is_not_read_as_a_sigmoid_input():
    comp = only("sigmoid for 10 layers, how much gradient is left")
    assert comp.tool == "chain-product" and comp.inputs["layers"] == 10


def test_batch_norm_of_a_list_matches_torch_batchnorm_in_training_mode():
    comp = only("batch norm on [1, 2, 3, 4] with gamma = 2 and beta = 1")
    x = torch.tensor([[1.0], [2.0], [3.0], [4.0]], dtype=torch.float64)
    bn = torch.nn.BatchNorm1d(1, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.fill_(2.0)
        bn.bias.fill_(1.0)
    y = bn.train()(x).detach().numpy().ravel()
    xs = x.numpy().ravel()
    assert comp.result["mean"] == pytest.approx(np.mean(xs))
    assert comp.result["variance"] == pytest.approx(np.var(xs))  # biased, as batch norm normalizes
    assert _list(comp, "x_hat") == pytest.approx((xs - xs.mean()) / np.sqrt(xs.var() + 1e-5))
    assert _list(comp, "y") == pytest.approx(y)
    assert "μ = 2.5" in comp.sentence and "γ = 2" in comp.sentence


def test_batch_norm_output_for_one_normalized_value():
    comp = only("with gamma=2, beta=1 and a normalized value of 0.5, what does the bn layer output")
    assert comp.result["y"] == pytest.approx(2 * 0.5 + 1)
    assert comp.sentence.endswith("= 2.")


def test_a_long_list_is_cut_and_the_rest_named():
    worked = compute_from_question("relu of [" + ", ".join(str(i - 20) for i in range(40)) + "]")
    (comp,) = worked.computations
    assert len(_list(comp, "y")) == 12
    assert "28 values after the first 12" in worked.note()


def test_a_matrix_row_is_not_a_list_and_lists_need_an_operation():
    worked = compute_from_question("relu net confusion matrix [[50, 10], [5, 35]]")
    assert [c.tool for c in worked.computations] == ["precision-recall"]
    assert compute_from_question("my data is [1, 2, 3]").computations == ()
