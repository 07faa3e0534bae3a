"""Every experiment is an MCP tool named after its id: a real MCP client (the `mcp`
package) connects to the running hub over streamable HTTP, lists the tools and calls one."""

from __future__ import annotations

import asyncio

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from core.experiments import EXPERIMENTS


async def tools_and_a_call(url: str):
    async with streamablehttp_client(f"{url}gradio_api/mcp/") as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            result = await session.call_tool("numbers_summation_rnn", {"text": "74+83"})
            return tools, result


def test_every_experiment_is_a_described_mcp_tool_and_one_answers(hub_url):
    tools, result = asyncio.run(tools_and_a_call(hub_url))
    by_name = {tool.name: tool for tool in tools}
    ids = {experiment.id for experiment in EXPERIMENTS}
    assert ids <= set(by_name)
    for name, tool in by_name.items():
        # Only experiments (and their second input, a drawing) are tools: no ping, no lambdas.
        assert any(name == i or name.startswith(f"{i}_") for i in ids), name
        assert len(tool.description or "") > 40, name
    assert "ping" not in by_name
    texts = [part.text for part in result.content if getattr(part, "text", None)]
    assert any("74+83 = 157" in text for text in texts), texts
