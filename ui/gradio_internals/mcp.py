"""MCP tools whose input is a drawing take a plain image; several outputs answered."""

from __future__ import annotations

import gradio as gr

# gradio's own wording for a file parameter of an MCP tool (gradio.mcp).
MCP_FILE_FORMAT = "Gradio File Input - a http or https url to a file"


def fix_mcp_tools() -> None:
    """Make every MCP tool whose input is a drawing (a ``gr.ImageEditor``) take a plain
    image, an http(s) URL or a ``data:`` URI, which becomes the sketchpad's composite.

    Gradio 6.31 lists a sketchpad parameter with its ``$defs`` nested under the parameter
    while its ``$ref`` s point at the schema's root, so the MCP library refuses every call
    (``PointerToNowhere: '/$defs/FileData'``); and with that fixed, the positions it keeps
    for the files inside (``composite/anyOf/0``, ``layers/items``) never match the call's
    value, so a ``data:`` URI reaches the sketchpad as a bare string and is refused too.
    API clients (gradio_client) still send the sketchpad's own value.

    And a tool with several outputs (the DCGAN's drawing tool: the clothes and the latent
    vector) answered with one text holding a list of file dicts: gradio wraps the tuple
    of results in a list as if it were one output. Now each output is its own content
    (an image with its URL). Idempotent.
    """
    from gradio.mcp import GradioMCPServer

    if getattr(GradioMCPServer, "takes_drawings_as_images", False):
        return
    schema_of = GradioMCPServer.get_input_schema
    prepare = GradioMCPServer._prepare_tool_call_args
    execute = GradioMCPServer._execute_tool_without_progress

    def drawing_inputs(server, tool_name: str) -> dict[int, str]:
        """The drawing inputs of a tool: position among its parameters -> name."""
        endpoint = server.tool_to_endpoint.get(tool_name)
        block_fn = server.get_block_fn_from_endpoint_name(endpoint) if endpoint else None
        if block_fn is None:
            return {}
        parameters = server.api_info["named_endpoints"][endpoint]["parameters"]
        inputs = [component for component in block_fn.inputs if not component.skip_api]
        return {
            index: parameter["parameter_name"]
            for index, (parameter, component) in enumerate(zip(parameters, inputs, strict=False))
            if isinstance(component, gr.ImageEditor)
        }

    def get_input_schema(self, tool_name, parameters=None):
        schema, positions = schema_of(self, tool_name, parameters)
        for name in drawing_inputs(self, tool_name).values():
            schema["properties"][name] = {
                "type": "string",
                "format": MCP_FILE_FORMAT,
                "description": "The drawing, dark ink on a light background, as an image: "
                "an http(s) URL or a data: URI (data:image/png;base64,...).",
            }
            positions = [p for p in positions if p[:1] != [name]] + [[name]]
        return schema, positions

    def _prepare_tool_call_args(self, name, arguments):
        endpoint, args, headers, block_fn = prepare(self, name, arguments)
        args = list(args)
        for index in drawing_inputs(self, name):
            if index < len(args) and isinstance(args[index], dict) and "path" in args[index]:
                args[index] = {"background": None, "layers": [], "composite": args[index]}
        return endpoint, args, headers, block_fn

    async def _execute_tool_without_progress(self, job):
        (result,) = await execute(self, job)
        return list(result) if isinstance(result, tuple) else [result]  # tuple: outputs

    GradioMCPServer.get_input_schema = get_input_schema
    GradioMCPServer._prepare_tool_call_args = _prepare_tool_call_args
    GradioMCPServer._execute_tool_without_progress = _execute_tool_without_progress
    GradioMCPServer.takes_drawings_as_images = True
