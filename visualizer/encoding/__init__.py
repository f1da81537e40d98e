"""Encoding: frames into files (GIF, MP4, WebM, PNG, the HTML player).

The writer protocol, the format table, pacing, GIF maths and file safety
(temporary files, atomic renames, signals). Imports point down only.
"""
