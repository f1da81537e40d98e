"""The explore page as a notebook widget: ``animate(...).explore()``.

An `anywidget <https://anywidget.dev>`_ widget (``pip install 'lossviz[widget]'``):
the explore page (:mod:`visualizer.frontends.explore`) in a frame of the notebook,
whose state comes back to Python as you move the sliders and the start, so a teacher
can tune live in class, then render what they chose::

    w = animate("ravine", ["gd", "momentum"]).explore()
    w                      # the page, in the notebook
    w.state["optimizers"]  # what the sliders say now
    w.animate().save("chosen.gif")

The page posts its state (``window.lossviz.state()``) to the widget after every
change; the widget's script passes it to the ``state`` trait.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

try:
    import anywidget
    import traitlets
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("the explore widget needs anywidget: pip install 'lossviz[widget]'") from None

from visualizer.frontends.explore import explore_scene
from visualizer.scene.scene import Scene

#: The widget's front end: the page in a frame, its state passed to the model.
ESM = """
function render({ model, el }) {
  const frame = document.createElement("iframe");
  frame.srcdoc = model.get("page");
  frame.title = "lossviz explore";
  frame.style.width = "100%";
  frame.style.height = model.get("height") + "px";
  frame.style.border = "0";
  const onMessage = (event) => {
    if (event.source !== frame.contentWindow) return;
    if (!event.data || event.data.type !== "lossviz-state") return;
    model.set("state", event.data.state);
    model.save_changes();
  };
  window.addEventListener("message", onMessage);
  el.appendChild(frame);
  return () => window.removeEventListener("message", onMessage);
}
export default { render };
"""


class ExploreWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """The explore page of a scene, live in a notebook; ``state`` follows the page.

    Attributes
    ----------
    page
        The page's HTML.
    height
        The frame's height in pixels.
    state
        ``window.lossviz.state()`` after the page's last change: ``surface``,
        ``start``, ``steps``, ``step`` and ``optimizers`` (``name``, ``label``,
        ``params``, ``on``, ``spec``); empty until the page has loaded.
    """

    _esm = ESM
    page = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(920).tag(sync=True)
    state = traitlets.Dict({}).tag(sync=True)

    def __init__(
        self, scene: Scene, *, make_animation: Callable[[Scene], Any], **kwargs: Any
    ) -> None:
        page, _ = explore_scene(scene)
        super().__init__(page=page, **kwargs)
        self._scene = scene
        self._make_animation = make_animation  # given, so this module imports no Animation

    def scene(self) -> Scene:
        """The scene as the page shows it now: the runs switched on, their values, the
        start and the steps (the scene's own before the page has reported)."""
        state = self.state
        if not state:
            return self._scene
        specs = tuple(o["spec"] for o in state["optimizers"] if o.get("on", True))
        return dataclasses.replace(
            self._scene,
            optimizers=specs,
            start=(float(state["start"][0]), float(state["start"][1])),
            steps=int(state["steps"]),
        )

    def animate(self, **options: Any) -> Any:
        """The :class:`~visualizer.frontends.animation.Animation` of :meth:`scene`,
        with drawing ``options`` changed (``view="both"``...)."""
        from visualizer.scene.scene import scene_from_mapping

        return self._make_animation(scene_from_mapping(options, base=self.scene()))


def explore_widget(scene: Scene, *, make_animation: Callable[[Scene], Any]) -> ExploreWidget:
    """The widget of ``scene``; see :class:`ExploreWidget`. ``make_animation(scene)``
    makes :meth:`ExploreWidget.animate`'s animation (``Animation.explore`` passes
    :func:`~visualizer.frontends.animation.animation_from_scene`)."""
    return ExploreWidget(scene, make_animation=make_animation)
