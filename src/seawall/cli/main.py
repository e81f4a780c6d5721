"""The `seawall` command: a group whose subcommands live one module each and load only when used."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from seawall import __version__
from seawall.errors import ExitCode, SeawallError
from seawall.output.visible import visible_line

# name → (module, attribute); loading lazily keeps `seawall --help` fast and lets each command own its module.
COMMANDS: dict[str, tuple[str, str]] = {
    "inspect": ("seawall.cli.inspect", "inspect"),
    "sbom": ("seawall.cli.sbom", "sbom"),
    "scan": ("seawall.cli.scan", "scan"),
    "db": ("seawall.cli.db", "db"),
    "cache": ("seawall.cli.cache", "cache"),
    "compare": ("seawall.cli.compare", "compare"),
    "allowlist": ("seawall.cli.allowlist", "allowlist"),
    "gate": ("seawall.cli.gate", "gate"),
    "promote": ("seawall.cli.promote", "promote"),
    "baseline": ("seawall.cli.baseline", "baseline"),
    "fleet": ("seawall.cli.fleet", "fleet"),
    "watch": ("seawall.cli.watch", "watch"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._available(name))

    @staticmethod
    def _available(name: str) -> bool:
        module = COMMANDS[name][0]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not self._available(cmd_name):
            return None
        module, attr = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="seawall")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option("--cache-dir", type=click.Path(), envvar="SEAWALL_CACHE_DIR", help="Cache directory (default: XDG).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, cache_dir: str | None) -> None:
    """seawall keeps vulnerable container images out of production.

    \b
    Image arguments accept:
      NAME[:TAG|@DIGEST]          a registry image (python:3.12-slim, host:5000/app@sha256:…)
      oci:DIR[:TAG]               an OCI image layout directory
      oci-archive:FILE[:TAG]      an OCI layout packed in a tar file
      docker-archive:FILE[:TAG]   a `docker save` tarball
      dir:PATH                    a root filesystem directory
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["cache_dir"] = cache_dir


def main(argv: list[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        result: Any = cli.main(args=argv, prog_name="seawall", standalone_mode=False)
    except SeawallError as err:
        if debug:
            raise
        click.echo(visible_line(err.one_line()), err=True)  # messages may quote names from the image
        sys.exit(int(err.exit_code))
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except click.UsageError as err:
        click.echo(usage_error_line(err), err=True)
        if err.ctx is not None:
            click.echo(err.ctx.get_usage().replace("Usage: ", "usage: ", 1), err=True)
        sys.exit(int(ExitCode.USAGE))
    except click.ClickException as err:
        click.echo(f"error: {' '.join(err.format_message().split())}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as err:  # a bug: one line unless --debug
        if debug:
            raise
        click.echo(visible_line(f"error: internal error: {type(err).__name__}: {err} — try again with --debug and "
                                "report it"), err=True)
        sys.exit(int(ExitCode.INTERNAL))
    sys.exit(int(result) if isinstance(result, int) else 0)


def usage_error_line(err: click.UsageError) -> str:
    """`error: WHAT — try `seawall CMD --help``: click's message on one line, pointing at the command's help."""
    message = " ".join(err.format_message().split())
    message = message[:1].lower() + message[1:]
    command = err.ctx.command_path if err.ctx is not None else "seawall"
    return f"error: {message.rstrip('.')} — try `{command} --help`"
