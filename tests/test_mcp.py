"""Every experiment is an MCP tool named after its id, and every tool answers: a real MCP
client (the `mcp` package) connects to the running hub (the session's ``hub_url``, one
server for all of these tests) over streamable HTTP, lists the tools and calls each once
with a real input, an image sent as a ``data:`` URI (drawings too: as tools they take a
plain image, ui/gradio_private.py ``fix_mcp_tools``)."""

from __future__ import annotations

import ast
import asyncio
import base64
import io
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from core import ROOT
from core.experiments import EXPERIMENTS

EXAMPLES = ROOT / "ui" / "examples"


def data_uri(path: Path) -> str:
    kind = "jpeg" if path.suffix == ".jpg" else "png"
    return f"data:image/{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


DIGIT = data_uri(EXAMPLES / "digits_recognition" / "3.png")
STAR = data_uri(EXAMPLES / "sketch_recognition" / "star.png")
PAPER = data_uri(EXAMPLES / "rock_paper_scissors" / "paper.png")
COFFEE = data_uri(EXAMPLES / "photos" / "coffee.jpg")
SHIRT = data_uri(EXAMPLES / "clothes_generation_dcgan" / "shirt.png")
TEXT = {"prompt": "The ", "length": 100, "temperature": 0.4, "seed": 7}

# One call per tool: the arguments, as an MCP client sends them.
CALLS = {
    "digits_recognition_mlp": {"value": DIGIT},
    "digits_recognition_cnn": {"value": DIGIT},
    "sketch_recognition_mlp": {"value": STAR},
    "sketch_recognition_cnn": {"value": STAR},
    "rock_paper_scissors_cnn": {"image": PAPER},
    "rock_paper_scissors_transfer": {"image": PAPER},
    "objects_detection": {"image": COFFEE, "score": 0.3},
    "image_classification": {"value": COFFEE},
    "numbers_summation_rnn": {"text": "74+83"},
    "text_generation_shakespeare_rnn": TEXT,
    "text_generation_wikipedia_rnn": TEXT,
    "recipe_generation_rnn": {**TEXT, "prompt": "Banana"},
    "clothes_generation_dcgan": {"seed": 3, "count": 4},
    "clothes_generation_dcgan_drawing": {"value": SHIRT},
}


async def list_and_call(url: str, calls: dict = CALLS):
    """The tools the MCP server at ``url`` lists, and each call's answer (name -> result)."""
    async with streamable_http_client(f"{url}gradio_api/mcp/") as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            answers = {name: await session.call_tool(name, args) for name, args in calls.items()}
            return tools, answers


@pytest.fixture(scope="module")
def mcp(hub_url):
    """The tools the hub lists and each tool's answer to its call in CALLS."""
    return asyncio.run(list_and_call(hub_url))


def texts(answer) -> list[str]:
    return [part.text for part in answer.content if part.type == "text"]


def images(answer) -> list[Image.Image]:
    return [
        Image.open(io.BytesIO(base64.b64decode(part.data)))
        for part in answer.content
        if part.type == "image"
    ]


def label(answer) -> dict:
    """A gr.Label output: {"label": top class, "confidences": [{label, confidence}...]}."""
    (text,) = texts(answer)
    return ast.literal_eval(text)


def test_every_experiment_is_a_described_tool_and_nothing_else(mcp):
    tools, _ = mcp
    by_name = {tool.name: tool for tool in tools}
    ids = {experiment.id for experiment in EXPERIMENTS}
    assert set(by_name) == set(CALLS) and ids <= set(by_name)
    for name, tool in by_name.items():
        assert len(tool.description or "") > 40, name
    assert "ping" not in by_name


def test_drawing_tools_take_a_plain_image(mcp):
    tools, _ = mcp
    drawing = {t.name: t.inputSchema for t in tools if "value" in t.inputSchema["properties"]}
    for name in [
        "digits_recognition_cnn",
        "sketch_recognition_mlp",
        "clothes_generation_dcgan_drawing",
    ]:
        schema = drawing[name]
        assert schema["properties"]["value"]["type"] == "string", name
        assert "$defs" not in str(schema) and "$ref" not in str(schema), name


def test_every_tool_answers(mcp):
    _, answers = mcp
    failed = {name: texts(answer) for name, answer in answers.items() if answer.isError}
    assert not failed


@pytest.mark.parametrize("name", ["digits_recognition_mlp", "digits_recognition_cnn"])
def test_digit_tools_read_the_digit(mcp, name):
    assert label(mcp[1][name])["label"] == "3"


@pytest.mark.parametrize("name", ["sketch_recognition_mlp", "sketch_recognition_cnn"])
def test_sketch_tools_see_the_star_among_their_guesses(mcp, name):
    answer = label(mcp[1][name])
    guesses = [c["label"] for c in answer["confidences"]]
    assert len(guesses) == 5 and "star" in guesses[:3], guesses


@pytest.mark.parametrize("name", ["rock_paper_scissors_cnn", "rock_paper_scissors_transfer"])
def test_hand_tools_answer_three_gestures(mcp, name):
    answer = label(mcp[1][name])
    gestures = {c["label"]: c["confidence"] for c in answer["confidences"]}
    assert set(gestures) == {"rock", "paper", "scissors"}
    assert abs(sum(gestures.values()) - 1) < 1e-3
    if name == "rock_paper_scissors_transfer":  # README: 20/20 real photos
        assert answer["label"] == "paper"


def test_detection_tool_finds_the_cup(mcp):
    answer = mcp[1]["objects_detection"]
    assert "cup" in " ".join(texts(answer))


def test_classification_tool_names_the_espresso(mcp):
    assert label(mcp[1]["image_classification"])["label"] == "espresso"


def test_summation_tool_adds(mcp):
    assert any("74+83 = 157" in text for text in texts(mcp[1]["numbers_summation_rnn"]))


@pytest.mark.parametrize(
    "name",
    ["text_generation_shakespeare_rnn", "text_generation_wikipedia_rnn", "recipe_generation_rnn"],
)
def test_text_tools_continue_the_prompt(mcp, name):
    (text,) = texts(mcp[1][name])
    assert len(text) >= 100 and len(set(text)) > 10, text


def test_clothes_tools_draw_images(mcp):
    (grid,) = images(mcp[1]["clothes_generation_dcgan"])
    assert grid.width == grid.height >= 56  # 4 samples of 28x28, as a 2x2 grid or larger
    clothes, latent = images(mcp[1]["clothes_generation_dcgan_drawing"])
    assert clothes.width == clothes.height >= 28  # the clothes, enlarged
    assert latent.width == latent.height and latent.size != clothes.size  # 10x10, enlarged
