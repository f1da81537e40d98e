"""The ``lossviz`` subcommands: ``list``, ``trace``, ``render``, ``explore`` and ``gallery``."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from surfaces import SURFACES, get_surface
from surfaces.errors import SpecError, did_you_mean
from surfaces.hessian import hessian_source
from surfaces.params import parse_int
from visualizer.encoding.errors import WriterError
from visualizer.frontends._cli_parser import PROG, scene_from_args
from visualizer.frontends._formula import plain_formula
from visualizer.maths.recorder import Recording, trace_csv
from visualizer.maths.scipy_bridge import METHODS as SCIPY_METHODS
from visualizer.maths.specs import OPTIMIZERS
from visualizer.scene.scene import Scene

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
        from visualizer.encoding.files import check_output_folder, check_path_length

        if "\0" in str(self.path):
            check(self.path)  # the file checks name the NUL byte
        check_path_length(self.path)
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
    from visualizer.encoding.formats import formats_for

    suffixes = [f.suffix for f in formats_for("render")]
    return Output(path).check(lambda p: check_output_path(p, suffixes=suffixes))


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


def _notes(rec: Recording, *, rows: bool = False) -> None:
    """Notes on stderr: tuned rates, and each run that left the picture or diverged
    (in the legend's words, :meth:`~visualizer.maths.recorder.Run.fate`)."""
    tuned = [_tuned_rate(run) for run in rec.runs if run.spec.tuned]
    if tuned:
        print(f"{PROG}: note: --tune chose {', '.join(tuned)}", file=sys.stderr)
    for run in rec.runs:
        fate = run.fate(rec.surface.window)
        if fate:
            tail = f"; its rows stop at step {run.last_step}" if rows and run.diverged_at else ""
            print(f"{PROG}: note: {run.label} {fate}{tail}", file=sys.stderr)


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
    _notes(rec, rows=True)
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
    """Import the renderer (matplotlib with it), once the input is known to be good."""
    import visualizer.frontends.animation  # noqa: F401


def default_output(args: argparse.Namespace, scene: Scene) -> str:
    """``NAME.gif`` in the current folder, for ``render`` without ``-o``: the gallery
    scene's name, the scene file's, or the surface's (``lossviz`` for an expression).

    Examples
    --------
    >>> default_output(argparse.Namespace(scene="saddle", config=None), Scene())
    'saddle.gif'
    >>> default_output(argparse.Namespace(scene=None, config=None), Scene(surface="ravine:kappa=9"))
    'ravine.gif'
    >>> default_output(argparse.Namespace(scene=None, config=None), Scene(surface="x**2 + y"))
    'lossviz.gif'
    """
    if getattr(args, "scene", None):
        return f"{args.scene}.gif"
    if getattr(args, "config", None):
        return f"{Path(args.config).stem}.gif"
    name = scene.surface.split(":")[0].strip() if isinstance(scene.surface, str) else ""
    return f"{name if name in SURFACES else 'lossviz'}.gif"


def _view_notes(scene: Scene, out: Path) -> None:
    if not scene.orbit:
        return
    if out.suffix.lower() == ".gif":
        print(
            f"{PROG}: note: with --orbit every pixel changes in every frame, so a GIF is "
            f"large and slow to make; MP4 is the format for it (-o {out.with_suffix('.mp4')})",
            file=sys.stderr,
        )


def cmd_render(args: argparse.Namespace) -> int:
    """``lossviz render``: an animation file (``NAME.gif`` here without ``-o``)."""
    scene = scene_from_args(args) if args.output is None else None
    out = _media_output(args.output if scene is None else default_output(args, scene))
    scene = scene_from_args(args) if scene is None else scene
    from visualizer.encoding._memory import check_scene_work

    check_scene_work(scene)  # frames × pixels, before the recording
    rec = scene.record()  # the optimizers' input is checked here, before any plotting import
    import_plotting()
    from visualizer.drawing.render import orbit_workers
    from visualizer.encoding.writers import check_memory
    from visualizer.frontends.animation import animation_from_scene

    anim = animation_from_scene(scene, recording=rec)
    workers = orbit_workers(anim.recording, anim.options, anim.workers)
    # every process's memory, before any folder is made
    check_memory(scene.size, [out.path.suffix.lower()], orbit_workers=workers)
    _view_notes(scene, out.path)
    out.make_folders(quiet=args.quiet)
    try:
        with progress_bar(anim.n_frames, label=out.path.name, quiet=args.quiet) as bar:
            path = anim.save(out.path, on_frame=lambda _i: bar.update(1))
    except BaseException:
        out.undo()
        raise
    _notes(anim.recording)
    if not args.quiet:
        where = f" ({path.resolve().parent}; no -o given)" if args.output is None else ""
        print(f"wrote {path}{where}", file=sys.stderr)
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
    from visualizer.encoding.processes import usable_cores

    if workers is not None and workers > usable_cores():
        workers = usable_cores()  # more processes than cores only cost memory
    # every scene's input, and the memory of the scenes rendered at once, before any folder
    animations = check_gallery(scenes, workers=workers)
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


def cmd_explore(args: argparse.Namespace) -> int:
    """``lossviz explore``: the explorable page."""
    from visualizer.encoding.files import check_output_path

    out = Output(args.output).check(lambda p: check_output_path(p, suffixes=(".html",)))
    scene = scene_from_args(args)
    from visualizer.frontends.explore import explore_scene

    page, rec = explore_scene(scene, output_name=out.path.with_suffix(".gif").name)
    out.make_folders(quiet=args.quiet)
    try:
        from visualizer.encoding.explore import write_explore

        path = write_explore(out.path, page)
    except BaseException:
        out.undo()
        raise
    _notes(rec)
    if not args.quiet:
        print(f"wrote {path} ({len(page.encode('utf-8')) / 1024:.0f} KB)", file=sys.stderr)
    return 0


COMMANDS = {
    "list": cmd_list,
    "trace": cmd_trace,
    "render": cmd_render,
    "explore": cmd_explore,
    "gallery": cmd_gallery,
}
