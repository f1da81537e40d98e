"""The ``lossviz`` command line: its parser, flags, examples, and the scene its flags give.

The scene's and the drawing's flags come from the option table
(:mod:`visualizer.scene.options`).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from surfaces.errors import SpecError, did_you_mean
from visualizer.encoding.formats import formats_for
from visualizer.scene.options import RenderOptions, option_named, options
from visualizer.scene.scene import RecordOptions, Scene, load_scene_file, scene_from_mapping

PROG = "lossviz"

#: Three real examples per command, printed at the end of its ``--help`` (and tested).
EXAMPLES = {
    "list": [
        "lossviz list",
        "lossviz list --json > lossviz.json",
        "lossviz list | grep -A 5 ravine",
    ],
    "render": [
        "lossviz render -s ravine --loss-panel -o ravine.gif",
        "lossviz render --scene ravine-3d -o ravine-3d.mp4",
        'lossviz render -s "sin(x)*cos(y) + 0.1*(x**2+y**2)" -O gd -O momentum'
        " --start -3,1 -o waves.mp4",
    ],
    "trace": [
        "lossviz trace -s ravine -o runs.csv",
        "lossviz trace -s saddle -O gd -O momentum:lr=0.01 --steps 200 -o saddle.csv",
        "lossviz trace --scene minibatch | head",
    ],
    "explore": [
        "lossviz explore -s ravine -o ravine.html",
        "lossviz explore --scene momentum-beta --theme dark -o beta.html",
        'lossviz explore -s "x**2 + 10*y**2" -O gd:lr=0.05 -O momentum:lr=0.02 -o q.html',
    ],
    "gallery": [
        "lossviz gallery",
        "lossviz gallery -o docs/media",
        "lossviz gallery --only ravine --only saddle -o slides",
    ],
}


class UsageError(Exception):
    """Bad command-line usage; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        line = message.splitlines()[0] if message else "bad usage"
        raise UsageError(line + self._suggestion(line))

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise UsageError((message or "bad usage").strip().splitlines()[0])
        if message:
            self._print_message(message, sys.stderr)
        raise SystemExit(0)

    def _suggestion(self, line: str) -> str:
        """A "did you mean" for a mistyped command or flag."""
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", line)
        if choice:
            return did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
        unknown = re.match(r"unrecognized arguments: (\S+)", line)
        if unknown and unknown.group(1).startswith("-"):
            flag = unknown.group(1).split("=")[0]
            known = getattr(self, "command_flags", None) or _flags(self)
            elsewhere = [name for name, sub in _commands(self).items() if flag in _flags(sub)]
            if flag not in known and elsewhere:
                return f" ({flag} is an option of {' and '.join(elsewhere)})"
            return did_you_mean(flag, [f for f in known if f != flag])
        return ""


def _flags(parser: argparse.ArgumentParser, *, nested: bool = True) -> list[str]:
    """Every option string of ``parser`` (``nested``: and of its subcommands)."""
    out = []
    for action in parser._actions:
        out += action.option_strings
        if nested and isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out += _flags(sub)
    return out


class _Version(argparse.Action):
    """``--version``: the installed package's version, read only when asked."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        print(f"{PROG} {version()}")
        raise SystemExit(0)


def version() -> str:
    """lossviz's version, from the installed package's metadata (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("lossviz")
    except PackageNotFoundError:
        return "(not installed: run pip install .)"


def _add_options(group: Any, cls: type) -> None:
    """One flag for every option of ``cls`` (see :mod:`visualizer.scene.options`)."""
    for opt in options(cls):
        if opt.flag is None:
            continue
        names = [opt.short, opt.flag] if opt.short else [opt.flag]
        if opt.kind.flag_action == "store_true":
            group.add_argument(
                *names, dest=opt.name, action="store_true", default=None, help=opt.help
            )
        else:
            group.add_argument(
                *names,
                dest=opt.name,
                action=opt.kind.flag_action,
                metavar=opt.metavar,
                help=opt.help,
            )


def _add_scene_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scene")
    _add_options(g, RecordOptions)
    base = g.add_mutually_exclusive_group()
    base.add_argument("--config", metavar="FILE.toml", help="scene file; flags override it")
    base.add_argument(
        "--scene",
        metavar="NAME",
        help="a gallery scene (see lossviz list), as the gallery renders it; flags override it",
    )


def _add_render_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("drawing")
    _add_options(g, RenderOptions)
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _subcommand(sub: Any, name: str, help: str) -> argparse.ArgumentParser:
    epilog = "examples:\n" + "\n".join(f"  {example}" for example in EXAMPLES[name])
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _format_list(front_end: str) -> str:
    """The formats a front end writes, for help: ``.gif (looping GIF), ... or .html (...)``."""
    named = [f"{f.suffix} ({f.description})" for f in formats_for(front_end)]
    return ", ".join(named[:-1]) + " or " + named[-1]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``lossviz``."""
    parser = _Parser(
        prog=PROG,
        description="Animated loss-surface visualizer: watch GD, SGD, momentum and friends.",
        epilog="Run 'lossviz COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument(
        "-V", "--version", action=_Version, nargs=0, help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p_list = _subcommand(sub, "list", "list surfaces, optimizers and gallery scenes")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")

    p_render = _subcommand(
        sub, "render", "render an animation (GIF, MP4, WebM, PNG poster or HTML player)"
    )
    _add_scene_options(p_render)
    _add_render_options(p_render)
    p_render.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=(
            f"output file; the suffix picks the format: {_format_list('render')};"
            " missing folders are created"
        ),
    )

    p_explore = _subcommand(
        sub, "explore", "write an explorable page: move sliders and the start, runs recomputed"
    )
    _add_scene_options(p_explore)
    group = p_explore.add_argument_group("drawing")
    for name in ("theme", "title"):
        opt = option_named(RenderOptions, name)
        group.add_argument(opt.flag, dest=opt.name, metavar=opt.metavar, help=opt.help)
    p_explore.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE.html",
        help="the page (one self-contained .html file); missing folders are created",
    )
    p_explore.add_argument("-q", "--quiet", action="store_true", help="no message on success")

    p_gallery = _subcommand(
        sub,
        "gallery",
        "render the curated scenes (GIF, MP4, poster, player) plus index.html, gallery.md",
    )
    p_gallery.add_argument(
        "-o",
        "--output",
        default="outputs",
        metavar="DIR",
        help="output folder (default outputs/; created if missing)",
    )
    p_gallery.add_argument(
        "--scenes", metavar="DIR", help="folder of scene files (default: the shipped scenes)"
    )
    p_gallery.add_argument(
        "--only", action="append", metavar="NAME", help="render only this scene; repeatable"
    )
    p_gallery.add_argument(
        "-j", "--jobs", metavar="N", help="scenes rendered at once (default: one per core)"
    )
    p_gallery.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    p_trace = _subcommand(sub, "trace", "record trajectories as CSV")
    _add_scene_options(p_trace)
    p_trace.add_argument(
        "-o",
        "--output",
        metavar="FILE.csv",
        help="write CSV here (default stdout); missing folders are created",
    )
    p_trace.add_argument("-q", "--quiet", action="store_true", help="no message on success")
    return parser


def join_negative_values(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """Let a flag's value start with ``-``: ``--start -3,1`` becomes ``--start=-3,1``.

    argparse reads any word that starts with ``-`` (and is not a plain negative
    number) as a flag. A word after a flag that takes a value is joined to it,
    unless it is itself a known flag.

    Examples
    --------
    >>> join_negative_values(["render", "--start", "-3,1", "-s", "-x**2"], build_parser())
    ['render', '--start=-3,1', '-s=-x**2']
    >>> join_negative_values(["render", "--steps", "-q"], build_parser())
    ['render', '--steps', '-q']
    """
    command = _command_parser(parser, argv)
    flags = set(_flags(command)) | set(_flags(parser, nested=False))
    takes_value = set(_value_flags(command))
    out: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return out + list(argv[i:])
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if (
            word in takes_value
            and nxt is not None
            and nxt.startswith("-")
            and nxt != "-"
            and nxt.split("=")[0] not in flags
        ):
            out.append(f"{word}={nxt}")
            i += 2
            continue
        out.append(word)
        i += 1
    return out


def _commands(parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The subcommands' parsers, by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command_parser(parser: argparse.ArgumentParser, argv: Sequence[str]) -> Any:
    """The parser of the subcommand named in ``argv``, or ``parser`` itself."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word in argv:
                if word in action.choices:
                    return action.choices[word]
    return parser


def _value_flags(parser: argparse.ArgumentParser) -> list[str]:
    out = []
    for action in parser._actions:
        if action.option_strings and action.nargs != 0:
            out += action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out += _value_flags(sub)
    return out


#: Most words on a command line: a scene takes at most a few dozen (12 optimizers included).
MAX_ARGUMENTS = 1000


def parse_command(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a ``lossviz`` command line as the command does (``--start -3,1`` included).

    Raises
    ------
    UsageError
        On bad usage (one line, with a suggestion where there is one).
    SystemExit
        For ``--help`` and ``--version``, once their text is printed.
    """
    if len(argv) > MAX_ARGUMENTS:  # argparse's time grows faster than the count
        raise UsageError(
            f"{len(argv)} command-line arguments; at most {MAX_ARGUMENTS} (a scene file holds more)"
        )
    parser = build_parser()
    parser.command_flags = _flags(_command_parser(parser, argv))  # type: ignore[attr-defined]
    return parser.parse_args(join_negative_values(argv, parser))


# --- scene from flags -----------------------------------------------------------------


def scene_from_args(args: argparse.Namespace) -> Scene:
    """Merge the scene file or gallery scene (if any) and the option flags given; flags win."""
    for flag in ("config", "scene"):
        if getattr(args, flag, None) == "":
            raise SpecError(f"--{flag} needs a {'file' if flag == 'config' else 'name'}, got ''")
    if getattr(args, "config", None) is not None:
        base = load_scene_file(args.config)
    elif getattr(args, "scene", None) is not None:
        base = gallery_scene(args.scene).rendered
    else:
        base = Scene()
    given = {
        o.name: getattr(args, o.name)
        for o in options(Scene)
        if getattr(args, o.name, None) is not None
    }
    return scene_from_mapping(given, base=base, text=True)


def gallery_scene(name: str) -> Any:
    """The shipped gallery scene called ``name``."""
    from visualizer.frontends.gallery import load_gallery

    scenes = {s.name: s for s in load_gallery()}
    if name not in scenes:
        raise SpecError(
            f"unknown scene {name!r}{did_you_mean(name, scenes)}; choose from {', '.join(scenes)}"
        )
    return scenes[name]
