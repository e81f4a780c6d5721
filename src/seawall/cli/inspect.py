"""`seawall inspect IMAGE`: the image's identity, layers, runtime config and distribution."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from seawall.cli.common import fetch_options
from seawall.inspect import InspectResult, inspect_image
from seawall.output.visible import print_visible


@click.command(name="inspect")
@click.argument("image")
@click.option("--platform", help="os/arch[/variant] to choose from a multi-platform image (default: this host's).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST",
              help="Talk plain HTTP (or unverified TLS) to this registry; repeatable.")
@click.pass_context
def inspect(ctx: click.Context, image: str, platform: str | None, fmt: str, insecure: tuple[str, ...]) -> None:
    """Show an image's digest, platform, layers, runtime config and distribution."""
    result = inspect_image(image, fetch_options(ctx, platform, insecure))
    if fmt == "json":
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render_table(result, Console(markup=False, emoji=False, highlight=False))  # image text is shown as is


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def render_table(result: InspectResult, console: Console) -> None:
    doc = result.to_json()
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(overflow="fold")
    os_info = doc["os"]
    config = doc["config"]
    rows = [
        ("Image", doc["source"]),
        ("Reference", doc["reference"]),
        ("Digest", doc["digest"]),
        ("Index digest", doc["index_digest"]),
        ("Config digest", doc["config_digest"]),
        ("Platform", doc["platform"]),
        ("Created", doc["created"]),
        ("Size", f"{_size(doc['size'])} compressed, {_size(doc['uncompressed_size'])} uncompressed"),
        ("OS", (os_info["pretty_name"] or f"{os_info['id']} {os_info['version_id'] or ''}") if os_info else
         "unknown"),
        ("User", config["user"] or "(root)"),
        ("Workdir", config["workdir"]),
        ("Entrypoint", json.dumps(config["entrypoint"]) if config["entrypoint"] is not None else None),
        ("Cmd", json.dumps(config["cmd"]) if config["cmd"] is not None else None),
        ("Exposed ports", ", ".join(config["exposed_ports"])),
        ("Env", "\n".join(config["env"])),
        ("Labels", "\n".join(f"{k}={v}" for k, v in config["labels"].items())),
    ]
    for key, value in rows:
        if value:
            summary.add_row(key, str(value))
    print_visible(console, summary)
    if doc["layers"]:
        layers = Table(title="Layers", title_justify="left", show_lines=False)
        layers.add_column("#", justify="right")
        layers.add_column("Digest", no_wrap=True)
        layers.add_column("Size", justify="right")
        layers.add_column("Created by", overflow="fold")
        for layer in doc["layers"]:
            layers.add_row(str(layer["index"]), layer["digest"][:19], _size(layer["size"]), layer["created_by"])
        print_visible(console, layers)
