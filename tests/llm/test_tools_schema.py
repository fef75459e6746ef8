"""Function tools are generated from the registry's typed options and validated by its ``bind``."""

import json

import pytest

from bot.commands.registry import REGISTRY, bind
from bot.llm.tools_schema import ToolArgumentError, tool_name
from tools.errors import UserInputError

DEMOS = {
    "plot gradient-flow", "demo activations", "demo batchnorm", "metrics confusion-matrix", "metrics pr-curve",
    "embeddings compare", "embeddings neighbours", "embeddings analogy", "demo focal-loss", "demo feature-scaling",
    "demo logistic", "demo tuning", "image",
}


def test_exactly_the_demo_commands_are_offered(catalog):
    assert {s.name for s in catalog.specs.values()} == DEMOS  # not ask, search, quiz, kb …
    names = [t["function"]["name"] for t in catalog.schemas()]
    assert all(n.replace("_", "").isalnum() and len(n) <= 64 for n in names) and len(set(names)) == len(names)


def test_schema_mirrors_the_typed_bounded_options(catalog):
    schema = {t["function"]["name"]: t["function"] for t in catalog.schemas()}["plot_gradient_flow"]
    props = schema["parameters"]["properties"]
    spec = REGISTRY["plot gradient-flow"]
    assert set(props) == {o.name for o in spec.options}
    assert props["depth"] == {"type": "integer", "description": "Number of Linear layers (1-100). Default: 10",
                              "minimum": 1, "maximum": 100}
    assert props["activation"]["enum"] == list(spec.option("activation").choices)
    assert props["batchnorm"]["type"] == "boolean" and props["batchnorm"]["description"].endswith("Default: false")
    assert schema["parameters"]["additionalProperties"] is False
    assert schema["description"].startswith(spec.summary)
    focal = {t["function"]["name"]: t["function"] for t in catalog.schemas()}["demo_focal_loss"]["parameters"]
    assert focal["properties"]["alpha"]["type"] == "number" and focal["properties"]["gammas"]["maxLength"] == 200
    compare = {t["function"]["name"]: t["function"] for t in catalog.schemas()}["embeddings_compare"]["parameters"]
    assert compare["required"] == ["word", "sentence1", "sentence2"]
    json.dumps(catalog.schemas())  # serialisable as sent


def test_file_options_are_not_offered(catalog):
    image = {t["function"]["name"]: t["function"] for t in catalog.schemas()}["image"]["parameters"]
    assert "attachment" not in image["properties"] and image["required"] == ["op"]
    with pytest.raises(ToolArgumentError, match="no argument 'attachment'"):
        catalog.validate("image", {"op": "clahe", "attachment": "/etc/passwd"})


def test_valid_arguments_bind_like_a_slash_command(catalog):
    spec, kwargs = catalog.validate("plot_gradient_flow", '{"depth": 20, "activation": "Sigmoid"}')
    assert spec is REGISTRY["plot gradient-flow"]
    assert kwargs == bind(spec, {"depth": 20, "activation": "Sigmoid"})
    assert kwargs["activation"] == "sigmoid" and kwargs["width"] == 64
    spec, kwargs = catalog.validate("metrics_confusion_matrix", {"matrix": [[50, 10], [5, 35]]})
    assert kwargs["matrix"] == "[[50,10],[5,35]]"


@pytest.mark.parametrize("args", [{"depth": 500}, {"depth": 2.5}, {"activation": "swish"}, {"seed": -1},
                                  {"batchnorm": "maybe"}])
def test_invalid_arguments_give_the_registry_message(catalog, args):
    spec = REGISTRY["plot gradient-flow"]
    with pytest.raises(UserInputError) as expected:
        bind(spec, args)
    with pytest.raises(ToolArgumentError) as got:
        catalog.validate(tool_name(spec), json.dumps(args))
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("name, raw, message", [
    ("plot_gradient_flow", "{not json", "not valid JSON"),
    ("plot_gradient_flow", "[1, 2]", "must be a JSON object"),
    ("plot_gradient_flow", '{"depth": {"a": 1}}', "single value"),
    ("plot_gradient_flow", '{"colour": "red"}', "no argument 'colour'"),
    ("ask", "{}", "unknown tool 'ask'"),
    ("embeddings_compare", '{"word": "bank"}', "needs sentence1"),
    ("plot_gradient_flow", '{"x": "' + "a" * 5000 + '"}', "too long"),
])
def test_malformed_calls_are_rejected(catalog, name, raw, message):
    with pytest.raises(ToolArgumentError, match=message):
        catalog.validate(name, raw)
