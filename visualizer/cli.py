"""The ``lossviz`` command: a thin layer over the library.

This module owns the command line: the subcommands, their flags (the scene's
come from the option table, :mod:`visualizer.options`), progress and messages.
Parse, call the library, print one-line errors. Exit status: 0 success, 2 usage
errors (bad input), 1 runtime failures, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from surfaces import SURFACES, get_surface
from surfaces.errors import SpecError, WriterError
from visualizer.files import Terminated
from visualizer.options import RenderOptions, options
from visualizer.recorder import trace_csv
from visualizer.scene import RecordOptions, Scene, load_scene_file, scene_from_mapping
from visualizer.specs import OPTIMIZERS

PROG = "lossviz"


class UsageError(Exception):
    """Bad command-line usage; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message.splitlines()[0] if message else "bad usage")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise UsageError((message or "bad usage").strip().splitlines()[0])
        if message:
            self._print_message(message, sys.stderr)
        raise SystemExit(0)


def _add_options(group: Any, cls: type) -> None:
    """One flag for every option of ``cls`` (see :mod:`visualizer.options`)."""
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
    g.add_argument("--config", metavar="FILE.toml", help="scene file; flags override it")


def _add_render_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("drawing")
    _add_options(g, RenderOptions)
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``lossviz``."""
    parser = _Parser(
        prog=PROG,
        description="Animated loss-surface visualizer: watch GD, SGD, momentum and friends.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p_list = sub.add_parser("list", help="list surfaces and optimizers")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")

    p_render = sub.add_parser(
        "render", help="render an animation (GIF, MP4, WebM, PNG poster or HTML player)"
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
            " or .html (a player page)"
        ),
    )

    p_gallery = sub.add_parser(
        "gallery", help="render the curated scenes (GIF, MP4, poster) plus index.html, gallery.md"
    )
    p_gallery.add_argument(
        "-o", "--output", default="outputs", metavar="DIR", help="output folder (default outputs/)"
    )
    p_gallery.add_argument(
        "--scenes", metavar="DIR", help="folder of scene files (default: the shipped scenes)"
    )
    p_gallery.add_argument(
        "--only", action="append", metavar="NAME", help="render only this scene; repeatable"
    )
    p_gallery.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    p_trace = sub.add_parser("trace", help="record trajectories as CSV")
    _add_scene_options(p_trace)
    p_trace.add_argument(
        "-o", "--output", metavar="FILE.csv", help="write CSV here (default stdout)"
    )
    return parser


# --- scene from flags -----------------------------------------------------------------


def scene_from_args(args: argparse.Namespace) -> Scene:
    """Merge the scene file (if any) and the option flags given; flags win."""
    base = load_scene_file(args.config) if getattr(args, "config", None) else Scene()
    given = {
        o.name: getattr(args, o.name)
        for o in options(Scene)
        if getattr(args, o.name, None) is not None
    }
    return scene_from_mapping(given, base=base, text=True)


# --- commands ----------------------------------------------------------------------


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
                "window": list(s.window),
                "start": list(s.start),
                "minima": [list(m) for m in s.minima],
                "params": {p.name: p.default for p in kind.params},
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


def cmd_list(args: argparse.Namespace) -> int:
    """``lossviz list``: every surface and optimizer."""
    surfaces, optimizers = _surface_entries(), _optimizer_entries()
    if args.json:
        json.dump({"surfaces": surfaces, "optimizers": optimizers}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = ["Surfaces (-s NAME[:key=value,...], or an expression in x and y):"]
    for s in surfaces:
        params = ", ".join(
            f"{k}={v}" if isinstance(v, str) else f"{k}={v:g}" for k, v in s["params"].items()
        )
        out.append(f"  {s['name']:<14} {s['title']}{f'  [{params}]' if params else ''}")
        out.append(f"  {'':<14} formula  {s['formula']}")
        w = s["window"]
        out.append(f"  {'':<14} window   x {w[0]:g}..{w[1]:g}, y {w[2]:g}..{w[3]:g}")
        minima = "; ".join(f"({m[0]:.4g}, {m[1]:.4g})" for m in s["minima"]) or "unknown"
        out.append(f"  {'':<14} minima   {minima}")
        out.append(
            f"  {'':<14} preset   {' '.join(s['preset']['optimizers'])}  "
            f"steps={s['preset']['steps']}  ({s['preset']['note']})"
        )
    out.append("")
    out.append("Optimizers (-O NAME[:key=value,...,label=TEXT]):")
    for o in optimizers:
        hyper = " ".join(f"{k}={v:g}" for k, v in o["hyperparameters"].items())
        out.append(f"  {o['name']:<10} {hyper:<40} {o['rule']}")
    print("\n".join(out))
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    """``lossviz trace``: CSV of the trajectories."""
    from visualizer.writers import check_output_path, write_text_atomic

    out = check_output_path(args.output, suffixes=(".csv",)) if args.output else None
    if out is None and sys.stdout is None:
        raise WriterError("standard output is closed: write the CSV with -o FILE")
    rec = scene_from_args(args).record()
    text = trace_csv(rec)
    if out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out, text)
    for run in rec.runs:
        if run.diverged_at is not None:
            print(
                f"{PROG}: note: {run.label} diverged at step {run.diverged_at}; "
                f"its rows stop at step {run.last_step}",
                file=sys.stderr,
            )
    return 0


def progress_bar(total: int, *, label: str, quiet: bool) -> Any:
    """A tqdm progress bar on stderr, disabled when quiet or stderr is not a terminal."""
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(
        total=total, desc=label, unit="frame", disable=disable, leave=False, file=sys.stderr
    )


def cmd_render(args: argparse.Namespace) -> int:
    """``lossviz render``: an animation file."""
    from visualizer.animation import animation_from_scene
    from visualizer.writers import check_output_path

    out = check_output_path(args.output)
    scene = scene_from_args(args)
    anim = animation_from_scene(scene)
    with progress_bar(anim.n_frames, label=out.name, quiet=args.quiet) as bar:
        path = anim.save(out, on_frame=lambda _i: bar.update(1))
    for run in anim.recording.runs:
        if run.diverged_at is not None:
            print(f"{PROG}: note: {run.label} diverged at step {run.diverged_at}", file=sys.stderr)
    if not args.quiet:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    """``lossviz gallery``: every curated scene, the page and the Markdown."""
    from visualizer.gallery import DEFAULT_SCENES, load_gallery, render_gallery
    from visualizer.writers import check_output_folder

    folder = check_output_folder(args.output)
    scenes = every = load_gallery(args.scenes or DEFAULT_SCENES)
    if args.only:
        names = {s.name for s in scenes}
        unknown = [n for n in args.only if n not in names]
        if unknown:
            raise SpecError(f"unknown scene {unknown[0]!r}; choose from {', '.join(sorted(names))}")
        scenes = [s for s in scenes if s.name in args.only]
    bars: list[Any] = []

    def progress(item: Any, index: int, n_frames: int) -> Any:
        for bar in bars:
            bar.close()
        bars.clear()
        if not args.quiet:
            print(f"[{index + 1}/{len(scenes)}] {item.name}", file=sys.stderr, flush=True)
        bar = progress_bar(n_frames, label=item.name, quiet=args.quiet)
        bars.append(bar)
        return lambda _i: bar.update(1)

    try:
        written = render_gallery(folder, scenes, progress=progress, page_scenes=every)
    finally:
        for bar in bars:
            bar.close()
    if not args.quiet:
        print(f"wrote {len(written)} files to {folder}/", file=sys.stderr)
    return 0


COMMANDS = {"list": cmd_list, "trace": cmd_trace, "render": cmd_render, "gallery": cmd_gallery}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lossviz``; returns the exit status."""
    _guard_standard_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
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
    raise SystemExit(main())
