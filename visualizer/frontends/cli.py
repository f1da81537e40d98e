"""The ``lossviz`` command: a thin layer over the library.

This module owns the command line: the subcommands, their flags (the scene's
come from the option table, :mod:`visualizer.scene.options`), their examples, output
folders, progress and messages. Parse, call the library, print one-line errors.
Exit status: 0 success, 2 usage errors (bad input), 1 runtime failures, 130
interrupted.

Input is checked before anything heavy is imported: matplotlib, Pillow and the
encoders load only once a render starts, so a typo is reported at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from surfaces import SURFACES, get_surface
from surfaces.errors import SpecError, WriterError, did_you_mean
from surfaces.hessian import hessian_source
from surfaces.params import parse_int
from visualizer.encoding.files import Terminated
from visualizer.maths.recorder import trace_csv
from visualizer.maths.scipy_bridge import METHODS as SCIPY_METHODS
from visualizer.maths.specs import OPTIMIZERS
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
            "output file; the suffix picks the format: .gif, .mp4, .webm, .png (poster)"
            " or .html (a player page); missing folders are created"
        ),
    )

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


# --- scene from flags -----------------------------------------------------------------


def scene_from_args(args: argparse.Namespace) -> Scene:
    """Merge the scene file or gallery scene (if any) and the option flags given; flags win."""
    if getattr(args, "config", None):
        base = load_scene_file(args.config)
    elif getattr(args, "scene", None):
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


# --- output files and folders ----------------------------------------------------------


class Output:
    """An output file or folder whose missing parent folders are made only when needed.

    :meth:`check` runs with the other input checks (nothing is created);
    :meth:`make_folders` runs when the input is known to be good, and reports
    each folder it made; :meth:`undo` removes them again if they stayed empty.
    """

    def __init__(self, path: str, *, folder: bool = False) -> None:
        self.path = Path(path)
        self.folder = self.path if folder else self.path.parent
        self.missing: list[Path] = []

    def check(self, check: Callable[[Path], Any]) -> Output:
        """Check the path with ``check(path)`` as if its missing folders existed."""
        from visualizer.encoding.files import check_output_folder

        if "\0" in str(self.path):
            check(self.path)  # the file checks name the NUL byte
        existing = self.folder
        while not existing.exists() and existing != existing.parent:
            self.missing.insert(0, existing)
            existing = existing.parent
        if not self.missing:
            check(self.path)
            return self
        if not existing.is_dir():
            raise SpecError(f"cannot create folder '{self.folder}': '{existing}' is not a folder")
        check_output_folder(existing)
        if self.path != self.folder:
            check(existing / self.path.name)  # the suffix and the name's length
        return self

    def make_folders(self, *, quiet: bool) -> None:
        """Create the missing folders and say so."""
        if self.missing:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not quiet:
                print(f"created folder {self.folder}/", file=sys.stderr)

    def undo(self) -> None:
        """Remove the folders :meth:`make_folders` created, if they are still empty."""
        for folder in reversed(self.missing):
            try:
                folder.rmdir()
            except OSError:
                return


def _media_output(path: str) -> Output:
    from visualizer.encoding.files import check_output_path
    from visualizer.encoding.formats import SUFFIXES

    return Output(path).check(lambda p: check_output_path(p, suffixes=SUFFIXES))


# --- commands ----------------------------------------------------------------------


_SUPERSCRIPT = dict(zip("0123456789+-=()nixyN", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣʸᴺ", strict=True))
_SUBSCRIPT = dict(zip("0123456789+-=()itxn", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ᵢₜₓₙ", strict=True))
_SYMBOLS = {
    r"\kappa": "κ",
    r"\theta": "θ",
    r"\pi": "π",
    r"\in": "∈",
    r"\sum": " Σ",
    r"\cdot": "·",
    r"\left": "",
    r"\right": "",
    r"\{": "{",
    r"\}": "}",
    r"\,": " ",
    r"\;": " ",
    r"\!": "",
}
_GROUP = r"\{((?:[^{}]|\{[^{}]*\})*)\}"


def plain_formula(tex: str) -> str:
    """A surface's mathtext formula as plain text for a terminal.

    Examples
    --------
    >>> plain_formula(r"$f(x,y) = \\frac{1}{2}(x^2 + 100\\,y^2)$")
    'f(x,y) = ½(x² + 100y²)'
    >>> plain_formula(r"$f(x,y) = \\frac{(x^2-4)^2}{16} + e^{-y} + \\sqrt{x^{2} + 1}$")
    'f(x,y) = (x²-4)²/16 + e⁻ʸ + √(x² + 1)'
    >>> plain_formula(r"$L = \\frac{1}{N}\\sum_{i=1}^{N} \\mathrm{CE}(w\\,x_i)$")
    'L = 1/N Σᵢ₌₁ᴺ CE(w xᵢ)'
    """
    text = tex.strip().strip("$")
    text = re.sub(r"\\(?:mathrm|operatorname|text)" + _GROUP, r"\1", text)
    text = re.sub(r"(?<=\d)\\,", "", text)  # 100\,y: 100y
    text = re.sub(r"\\tilde\s*\{?([A-Za-z])\}?", "\\1\u0303", text)  # \tilde y: ỹ
    for command, symbol in _SYMBOLS.items():
        word_end = r"(?![A-Za-z])" if command[-1].isalpha() else ""
        text = re.sub(re.escape(command) + word_end, symbol, text)
    text = _scripts(text)
    for _ in range(3):  # nested fractions and roots, innermost first
        text = re.sub(r"\\frac\{1\}\{2\}", "½", text)
        text = re.sub(r"\\frac" + _GROUP + _GROUP, lambda m: _fraction(m[1], m[2]), text)
        text = re.sub(r"\\sqrt" + _GROUP, lambda m: "√" + _grouped(m[1]), text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", _scripts(text))
    return unicodedata.normalize("NFC", re.sub(r" {2,}", " ", text).strip())


def _scripts(text: str) -> str:
    text = re.sub(r"([\^_])" + _GROUP, lambda m: _script(m[1], m[2]), text)
    return re.sub(r"([\^_])(\\?\w)", lambda m: _script(m[1], m[2]), text)


def _grouped(text: str) -> str:
    """``text`` in parentheses unless it is one term already."""
    powers = "[" + "".join(_SUPERSCRIPT.values()) + "]*"
    one_term = text and re.fullmatch(r"[\w.]*(\([^()]*\))?" + powers, text)
    return text if one_term else f"({text})"


def _fraction(top: str, bottom: str) -> str:
    return f"{_grouped(top)}/{_grouped(bottom)}"


def _script(kind: str, text: str) -> str:
    table = _SUPERSCRIPT if kind == "^" else _SUBSCRIPT
    if all(c in table for c in text):
        return "".join(table[c] for c in text)
    return f"{kind}{text}" if len(text) == 1 else f"{kind}({text})"


def _surface_entries() -> list[dict[str, Any]]:
    out = []
    for name, kind in SURFACES.items():
        s = get_surface(name)
        out.append(
            {
                "name": name,
                "title": s.title,
                "summary": kind.summary,
                "formula": s.formula,
                "formula_text": plain_formula(s.formula),
                "window": list(s.window),
                "start": list(s.start),
                "minima": [list(m) for m in s.minima],
                "params": {p.name: p.default for p in kind.params},
                "hessian": hessian_source(s),
                "preset": {
                    "optimizers": list(s.preset.optimizers),
                    "steps": s.preset.steps,
                    "note": s.preset.note,
                },
            }
        )
    return out


def _optimizer_entries() -> list[dict[str, Any]]:
    return [
        {
            "name": info.name,
            "rule": info.rule,
            "hyperparameters": {h.name: h.default for h in info.hypers},
            "ranges": {h.name: h.rule for h in info.hypers},
        }
        for info in OPTIMIZERS.values()
    ]


def _scene_entries() -> list[dict[str, Any]]:
    from visualizer.frontends.gallery import load_gallery

    return [
        {"name": s.name, "title": s.title, "caption": s.scene.caption, "command": s.command}
        for s in load_gallery()
    ]


def cmd_list(args: argparse.Namespace) -> int:
    """``lossviz list``: every surface, optimizer and gallery scene."""
    surfaces, optimizers, scenes = _surface_entries(), _optimizer_entries(), _scene_entries()
    if args.json:
        data = {"surfaces": surfaces, "optimizers": optimizers, "scenes": scenes}
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = ["Surfaces (-s NAME[:key=value,...], or an expression in x and y):"]
    for s in surfaces:
        params = ", ".join(
            f"{k}={v}" if isinstance(v, str) else f"{k}={v:g}" for k, v in s["params"].items()
        )
        out.append(f"  {s['name']:<14} {s['title']}{f'  [{params}]' if params else ''}")
        out.append(f"  {'':<14} formula  {s['formula_text']}")
        w = s["window"]
        out.append(f"  {'':<14} window   x {w[0]:g}..{w[1]:g}, y {w[2]:g}..{w[3]:g}")
        minima = "; ".join(f"({m[0]:.4g}, {m[1]:.4g})" for m in s["minima"]) or "unknown"
        out.append(f"  {'':<14} minima   {minima}")
        out.append(f"  {'':<14} Hessian  {s['hessian']} (newton, scipy's second-order methods)")
        out.append(
            f"  {'':<14} preset   {' '.join(s['preset']['optimizers'])}  "
            f"steps={s['preset']['steps']}  ({s['preset']['note']})"
        )
    out.append("")
    out.append("Optimizers (-O NAME[:key=value,...,label=TEXT]):")
    for o in optimizers:
        hyper = " ".join(f"{k}={v:g}" for k, v in o["hyperparameters"].items())
        out.append(f"  {o['name']:<10} {hyper:<40} {o['rule']}")
    scipy_keys = "keys: the method's options (pip install 'lossviz[scipy]')"
    out.append(f"  {'scipy:METHOD':<14} {scipy_keys}")
    out.append(f"  {'':<14} {', '.join(SCIPY_METHODS)}")
    out.append("")
    out.append("Gallery scenes (render --scene NAME, or lossviz gallery for all):")
    for scene in scenes:
        out.append(f"  {scene['name']:<16} {scene['title']}")
    print("\n".join(out))
    return 0


def _notes(runs: Sequence[Any], *, rows: bool = False) -> None:
    tuned = [_tuned_rate(run) for run in runs if run.spec.tuned]
    if tuned:
        print(f"{PROG}: note: --tune chose {', '.join(tuned)}", file=sys.stderr)
    for run in runs:
        if run.diverged_at is not None:
            tail = f"; its rows stop at step {run.last_step}" if rows else ""
            print(
                f"{PROG}: note: {run.label} diverged at step {run.diverged_at}{tail}",
                file=sys.stderr,
            )


def _tuned_rate(run: Any) -> str:
    """A tuned run's label and rate, the rate once (a label may hold it already)."""
    rate = run.spec.hyper_text([run.spec.lr_key])
    return run.label if rate in run.label.split() else f"{run.label} {rate}"


def cmd_trace(args: argparse.Namespace) -> int:
    """``lossviz trace``: CSV of the trajectories."""
    from visualizer.encoding.files import check_output_path, write_text_atomic

    out = None
    if args.output:
        out = Output(args.output).check(lambda p: check_output_path(p, suffixes=(".csv",)))
    if out is None and sys.stdout is None:
        raise WriterError("standard output is closed: write the CSV with -o FILE")
    rec = scene_from_args(args).record()
    text = trace_csv(rec)
    if out is None:
        sys.stdout.write(text)
    else:
        out.make_folders(quiet=args.quiet)
        try:
            path = write_text_atomic(out.path, text)
        except BaseException:
            out.undo()
            raise
    _notes(rec.runs, rows=True)
    if out is not None and not args.quiet:
        rows = sum(run.last_step + 1 for run in rec.runs)
        print(f"wrote {path} ({rows} rows, {len(rec.runs)} runs)", file=sys.stderr)
    return 0


class _NoBar(contextlib.AbstractContextManager):
    """What :func:`progress_bar` gives when no bar shows: tqdm is not even imported."""

    def __exit__(self, *exc_info: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        """Nothing to show."""


def progress_bar(total: int, *, label: str, quiet: bool) -> Any:
    """A tqdm progress bar on stderr, or none when quiet or stderr is not a terminal."""
    if quiet or sys.stderr is None or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: a thread would stop the gallery forking
    return tqdm(total=total, desc=label, unit="frame", leave=False, file=sys.stderr)


def import_plotting() -> None:
    """Import the renderer (matplotlib with it), skipping what a command never shows.

    As each matplotlib artist class is created, it writes a docstring for its
    ``set`` method that lists every property (``matplotlib.artist.kwdoc``):
    about 80 ms of a command's start, for text that only ``help()`` shows.
    While the renderer's modules are imported, ``kwdoc`` gives an empty text;
    it is put back afterwards, so later calls are matplotlib's own. Nothing
    else changes: no drawing reads these docstrings.
    """
    kwdoc = None
    if "matplotlib.artist" not in sys.modules:  # else imported already: nothing to save
        import matplotlib.artist as artist

        kwdoc = getattr(artist, "kwdoc", None)
        if kwdoc is not None:
            artist.kwdoc = lambda _: ""
    try:
        import visualizer.frontends.animation  # noqa: F401
    finally:
        if kwdoc is not None:
            artist.kwdoc = kwdoc


def _view_notes(scene: Scene, out: Path) -> None:
    if not scene.orbit:
        return
    if scene.view == "contour":
        print(
            f"{PROG}: note: --orbit turns the 3D camera; it does nothing with --view contour",
            file=sys.stderr,
        )
    elif out.suffix.lower() == ".gif":
        print(
            f"{PROG}: note: with --orbit every pixel changes in every frame, so a GIF is "
            f"large and slow to make; MP4 is the format for it (-o {out.with_suffix('.mp4')})",
            file=sys.stderr,
        )


def cmd_render(args: argparse.Namespace) -> int:
    """``lossviz render``: an animation file."""
    out = _media_output(args.output)
    scene = scene_from_args(args)
    rec = scene.record()  # the optimizers' input is checked here, before any plotting import
    import_plotting()
    from visualizer.encoding.writers import check_memory
    from visualizer.frontends.animation import animation_from_scene

    anim = animation_from_scene(scene, recording=rec)
    check_memory(scene.size, [out.path.suffix.lower()])  # before any folder is made
    _view_notes(scene, out.path)
    out.make_folders(quiet=args.quiet)
    try:
        with progress_bar(anim.n_frames, label=out.path.name, quiet=args.quiet) as bar:
            path = anim.save(out.path, on_frame=lambda _i: bar.update(1))
    except BaseException:
        out.undo()
        raise
    _notes(anim.recording.runs)
    if not args.quiet:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    """``lossviz gallery``: every curated scene, the page and the Markdown."""
    from visualizer.encoding.files import check_output_folder
    from visualizer.frontends.gallery import (
        DEFAULT_SCENES,
        check_gallery,
        load_gallery,
        render_gallery,
    )

    out = Output(args.output, folder=True).check(check_output_folder)
    workers = parse_int("jobs", args.jobs, lo=1, hi=1024) if args.jobs is not None else None
    scenes = every = load_gallery(args.scenes or DEFAULT_SCENES)
    if args.only:
        names = [s.name for s in scenes]
        for name in args.only:
            if name not in names:
                raise SpecError(
                    f"unknown scene {name!r}{did_you_mean(name, names)}; "
                    f"choose from {', '.join(sorted(names))}"
                )
        scenes = [s for s in scenes if s.name in args.only]
    animations = check_gallery(scenes)  # every scene's input, before any folder is made
    out.make_folders(quiet=args.quiet)

    def progress(item: Any, done: int) -> None:
        if not args.quiet:
            print(f"[{done}/{len(scenes)}] {item.name}", file=sys.stderr, flush=True)

    try:
        written = render_gallery(
            out.path,
            scenes,
            progress=progress,
            page_scenes=every,
            workers=workers,
            animations=animations,
        )
    except BaseException:
        out.undo()
        raise
    if not args.quiet:
        print(f"wrote {len(written)} files to {out.path}/", file=sys.stderr)
    return 0


COMMANDS = {"list": cmd_list, "trace": cmd_trace, "render": cmd_render, "gallery": cmd_gallery}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lossviz``; returns the exit status."""
    _guard_standard_streams()
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        parser.print_help(sys.stderr)
        return 2
    parser.command_flags = _flags(_command_parser(parser, argv))  # type: ignore[attr-defined]
    try:
        args = parser.parse_args(join_negative_values(argv, parser))
        return COMMANDS[args.command](args)
    except (UsageError, SpecError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:  # SIGTERM or SIGHUP during a write, cleaned up
        print(f"{PROG}: stopped by {signal.Signals(exc.signum).name}", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        return 1
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (OSError, RuntimeError, ValueError, ArithmeticError) as exc:
        # a runtime failure (the encoder, the file system, drawing a degenerate surface)
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def run() -> NoReturn:
    """The ``lossviz`` console command: :func:`main`, then an exit without teardown.

    When :func:`main` returns, every file is written and renamed into place and
    every ffmpeg has exited. What an ordinary exit does next is run the exit
    handlers, flush the standard streams, then free matplotlib's objects one by
    one and clear every module: about 0.1 s after a render, a tenth of the
    command. ``run`` does the first two, then ends the process at once
    (``os._exit``). A stream that cannot be flushed makes the status 1.
    """
    status = main()
    import atexit

    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None:  # not CPython: exit the ordinary way
        raise SystemExit(status)
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            status = status or 1
    os._exit(status)


def _guard_standard_streams() -> None:
    """Give closed standard file descriptors ``/dev/null``.

    Otherwise the next file opened (a temporary file, a pipe to ffmpeg) would take
    descriptor 0, 1 or 2, and messages meant for the terminal would land in it.
    With stderr closed, messages are dropped; with stdout closed, ``sys.stdout``
    stays ``None`` so that ``trace`` can say where its CSV cannot go.
    """
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, mode)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    run()
