"""A scene's explore page: what ``lossviz explore``, the gallery, Sphinx and the widget share.

:func:`explore_scene` checks that the scene can be explored (before recording it:
``mlp`` is refused without training a network), records it as ``lossviz trace``
would, and returns the page (:func:`visualizer.encoding.explore.explore_page`).

Examples
--------
>>> from visualizer.scene.scene import Scene
>>> page, rec = explore_scene(Scene(surface="bowl", optimizers=("gd",), steps=4))
>>> rec.steps, page.count("<canvas") >= 2
(4, True)
"""

from __future__ import annotations

import dataclasses

from surfaces.errors import SpecError
from visualizer.encoding.explore import explore_page
from visualizer.encoding.explore_model import check_explorable
from visualizer.maths.recorder import Recording
from visualizer.scene.options import option_named
from visualizer.scene.scene import RecordOptions, Scene


def render_extra_args(scene: Scene) -> list[str]:
    """The ``lossviz render`` arguments of ``scene`` the page keeps as they are.

    Examples
    --------
    >>> render_extra_args(Scene(window=(-1, 1, -2, 2), theme="dark"))
    ['--window=-1,1,-2,2', '--theme', 'dark']
    """
    args = option_named(RecordOptions, "window").to_args(scene.window)
    if scene.theme != "light":
        args += ["--theme", scene.theme]
    return args


def explore_scene(scene: Scene, *, output_name: str = "explore.gif") -> tuple[str, Recording]:
    """The explore page of ``scene``, and the recording it starts from.

    The page steps by iterations: a scene paced by evaluations (``pace``) is
    explored by iterations.

    Raises
    ------
    SpecError
        A surface or optimizer the page cannot recompute, with a one-line reason.
    """
    check_explorable(scene.surface, scene.optimizers)
    scene = dataclasses.replace(scene, pace="iterations")  # the page steps by iterations
    rec = scene.record()
    page = explore_page(
        rec,
        surface_spec=str(scene.surface),
        theme=scene.theme,
        title=scene.title,
        extra_args=render_extra_args(scene),
        output_name=output_name,
    )
    return page, rec


def explorable(scene: Scene) -> bool:
    """Whether the gallery writes an explore page for ``scene``: a 2D view of a surface
    and optimizers the page can recompute (not the 3D-only ``view = "surface"``).

    Examples
    --------
    >>> explorable(Scene(surface="ravine")), explorable(Scene(surface="mlp"))
    (True, False)
    >>> explorable(Scene(surface="ravine", view="surface"))
    False
    >>> explorable(Scene(surface="saddle", optimizers=("newton",)))  # a Hessian: Python only
    False
    """
    if scene.view == "surface" or scene.pace != "iterations":  # the page paces by iteration
        return False
    try:
        check_explorable(scene.surface, scene.optimizers)
    except SpecError:
        return False
    return True
