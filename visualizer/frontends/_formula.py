"""A surface's mathtext formula as plain text, for ``lossviz list``."""

from __future__ import annotations

import re
import unicodedata

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
