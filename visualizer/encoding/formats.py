"""The output formats lossviz writes, by suffix: declared once, importable without
Pillow or an encoder, so an output path is checked before anything heavy loads.

Examples
--------
>>> SUFFIXES
('.gif', '.mp4', '.webm', '.png', '.html')
"""

#: What lossviz writes: GIF, MP4 (H.264), WebM (VP9), a PNG poster, and ``.html``, the
#: player page (:class:`visualizer.encoding.player.PlayerWriter`).
SUFFIXES = (".gif", ".mp4", ".webm", ".png", ".html")
