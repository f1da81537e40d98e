"""The ``lossviz`` command line: its parser, flags, examples, and the scene its flags give.

The scene's and the drawing's flags come from the option table
(:mod:`visualizer.scene.options`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from surfaces.errors import SpecError, did_you_mean
from visualizer.encoding.formats import formats_for
from visualizer.scene.options import RenderOptions, options
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
    """An argument parser that raises :class:`UsageError` and knows its own flags.

    Every flag is added through :func:`_add_flag`, which records it in :attr:`flags`
    (name: whether it takes a value), and every subcommand through
    :func:`_subcommand` (:attr:`commands`): the suggestions and
    :func:`join_negative_values` read these, never argparse's internals.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flags: dict[str, bool] = {"-h": False, "--help": False}
        self.commands: dict[str, _Parser] = {}

    def error(self, message: str) -> NoReturn:
        raise UsageError(message.splitlines()[0] if message else "bad usage")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise UsageError((message or "bad usage").strip().splitlines()[0])
        if message and sys.stderr is not None:
            sys.stderr.write(message)
        raise SystemExit(0)


#: Actions of argparse whose flags take no value.
_NO_VALUE = ("store_true", "store_false", "store_const", "count", "help", "version")


def _add_flag(parser: _Parser, target: Any, *names: str, **kwargs: Any) -> None:
    """``target.add_argument(*names, **kwargs)`` (``target``: ``parser`` or one of its
    groups), recording each name in ``parser.flags``."""
    takes_value = kwargs.get("action", "store") not in _NO_VALUE and kwargs.get("nargs") != 0
    for name in names:
        parser.flags[name] = takes_value
    target.add_argument(*names, **kwargs)


def _flags(parser: _Parser, *, nested: bool = True) -> list[str]:
    """Every flag of ``parser`` (``nested``: and of its subcommands)."""
    out = list(parser.flags)
    if nested:
        for sub in parser.commands.values():
            out += _flags(sub)
    return out


def _value_flags(parser: _Parser) -> list[str]:
    """The flags of ``parser`` and of its subcommands that take a value."""
    out = [name for name, takes_value in parser.flags.items() if takes_value]
    for sub in parser.commands.values():
        out += _value_flags(sub)
    return out


def _command_parser(parser: _Parser, argv: Sequence[str]) -> _Parser:
    """The parser of the subcommand named in ``argv``, or ``parser`` itself."""
    for word in argv:
        if word in parser.commands:
            return parser.commands[word]
    return parser


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


def _add_options(parser: _Parser, group: Any, cls: type, names: Sequence[str] = ()) -> None:
    """One flag for every option of ``cls`` (see :mod:`visualizer.scene.options`), or for
    those in ``names``."""
    for opt in options(cls):
        if opt.flag is None or (names and opt.name not in names):
            continue
        flags = [opt.short, opt.flag] if opt.short else [opt.flag]
        if opt.kind.flag_action == "store_true":
            _add_flag(
                parser,
                group,
                *flags,
                dest=opt.name,
                action="store_true",
                default=None,
                help=opt.help,
            )
        else:
            _add_flag(
                parser,
                group,
                *flags,
                dest=opt.name,
                action=opt.kind.flag_action,
                metavar=opt.metavar,
                help=opt.help,
            )


def _add_scene_options(p: _Parser) -> None:
    g = p.add_argument_group("scene")
    _add_options(p, g, RecordOptions)
    base = g.add_mutually_exclusive_group()
    _add_flag(p, base, "--config", metavar="FILE.toml", help="scene file; flags override it")
    _add_flag(
        p,
        base,
        "--scene",
        metavar="NAME",
        help="a gallery scene (see lossviz list), as the gallery renders it; flags override it",
    )


def _subcommand(parser: _Parser, sub: Any, name: str, help: str) -> _Parser:
    epilog = "examples:\n" + "\n".join(f"  {example}" for example in EXAMPLES[name])
    command: _Parser = sub.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.commands[name] = command
    return command


def _format_list(front_end: str) -> str:
    """The formats a front end writes, for help: ``.gif (looping GIF), ... or .html (...)``."""
    named = [f"{f.suffix} ({f.description})" for f in formats_for(front_end)]
    return ", ".join(named[:-1]) + " or " + named[-1]


#: ``-o``/``--output`` of each command that writes: what it names there. Declared once.
OUTPUT = ("-o", "--output")
OUTPUTS: dict[str, dict[str, Any]] = {
    "render": {
        "required": True,
        "metavar": "FILE",
        "help": f"output file; the suffix picks the format: {_format_list('render')};"
        " missing folders are created",
    },
    "explore": {
        "required": True,
        "metavar": "FILE.html",
        "help": "the page (one self-contained .html file); missing folders are created",
    },
    "gallery": {
        "default": "outputs",
        "metavar": "DIR",
        "help": "output folder (default outputs/; created if missing)",
    },
    "trace": {
        "metavar": "FILE.csv",
        "help": "write CSV here (default stdout); missing folders are created",
    },
}
#: ``-q``/``--quiet`` of each command: what it silences. Declared once.
QUIET = ("-q", "--quiet")
QUIETS = {
    "render": "no progress bar",
    "explore": "no message on success",
    "gallery": "no progress output",
    "trace": "no message on success",
}


def build_parser() -> _Parser:
    """The argument parser for ``lossviz``."""
    parser = _Parser(
        prog=PROG,
        description="Animated loss-surface visualizer: watch GD, SGD, momentum and friends.",
        epilog="Run 'lossviz COMMAND --help' for a command's options and examples.",
    )
    _add_flag(
        parser,
        parser,
        "-V",
        "--version",
        action=_Version,
        nargs=0,
        help="print the version and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p_list = _subcommand(parser, sub, "list", "list surfaces, optimizers and gallery scenes")
    _add_flag(p_list, p_list, "--json", action="store_true", help="machine-readable output")

    p_render = _subcommand(
        parser, sub, "render", "render an animation (GIF, MP4, WebM, PNG poster or HTML player)"
    )
    _add_scene_options(p_render)
    drawing = p_render.add_argument_group("drawing")
    _add_options(p_render, drawing, RenderOptions)
    _add_flag(p_render, drawing, *QUIET, action="store_true", help=QUIETS["render"])
    _add_flag(p_render, p_render, *OUTPUT, **OUTPUTS["render"])

    p_explore = _subcommand(
        parser,
        sub,
        "explore",
        "write an explorable page: move sliders and the start, runs recomputed",
    )
    _add_scene_options(p_explore)
    group = p_explore.add_argument_group("drawing")
    _add_options(p_explore, group, RenderOptions, names=("theme", "title"))
    _add_flag(p_explore, p_explore, *OUTPUT, **OUTPUTS["explore"])
    _add_flag(p_explore, p_explore, *QUIET, action="store_true", help=QUIETS["explore"])

    p_gallery = _subcommand(
        parser,
        sub,
        "gallery",
        "render the curated scenes (GIF, MP4, poster, player) plus index.html, gallery.md",
    )
    _add_flag(p_gallery, p_gallery, *OUTPUT, **OUTPUTS["gallery"])
    _add_flag(
        p_gallery,
        p_gallery,
        "--scenes",
        metavar="DIR",
        help="folder of scene files (default: the shipped scenes)",
    )
    _add_flag(
        p_gallery,
        p_gallery,
        "--only",
        action="append",
        metavar="NAME",
        help="render only this scene; repeatable",
    )
    _add_flag(
        p_gallery,
        p_gallery,
        "-j",
        "--jobs",
        metavar="N",
        help="scenes rendered at once (default: one per core)",
    )
    _add_flag(p_gallery, p_gallery, *QUIET, action="store_true", help=QUIETS["gallery"])

    p_trace = _subcommand(parser, sub, "trace", "record trajectories as CSV")
    _add_scene_options(p_trace)
    _add_flag(p_trace, p_trace, *OUTPUT, **OUTPUTS["trace"])
    _add_flag(p_trace, p_trace, *QUIET, action="store_true", help=QUIETS["trace"])
    return parser


def join_negative_values(argv: Sequence[str], parser: _Parser) -> list[str]:
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


def _check_command(parser: _Parser, argv: Sequence[str]) -> None:
    """An unknown command is a usage error with a suggestion (the root takes no values,
    so the command is the first word that is not a flag)."""
    word = next((w for w in argv if not w.startswith("-")), None)
    if word is not None and word not in parser.commands:
        names = list(parser.commands)
        choices = ", ".join(repr(name) for name in names)
        raise UsageError(
            f"argument COMMAND: invalid choice: {word!r} (choose from {choices})"
            f"{did_you_mean(word, names)}"
        )


def _unrecognized(parser: _Parser, command: _Parser, extras: Sequence[str]) -> str:
    """The message for words no flag took, with a suggestion for a mistyped flag or
    the command(s) a flag belongs to."""
    message = f"unrecognized arguments: {' '.join(extras)}"
    if not extras[0].startswith("-"):
        return message
    flag = extras[0].split("=")[0]
    known = _flags(command, nested=False)
    elsewhere = [name for name, sub in parser.commands.items() if flag in sub.flags]
    if flag not in known and elsewhere:
        return f"{message} ({flag} is an option of {' and '.join(elsewhere)})"
    return message + did_you_mean(flag, [f for f in known if f != flag])


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
    _check_command(parser, argv)
    args, extras = parser.parse_known_args(join_negative_values(argv, parser))
    if extras:
        raise UsageError(_unrecognized(parser, _command_parser(parser, argv), extras))
    return args


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
