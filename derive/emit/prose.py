"""Prose (titles, reasons) is written once in Unicode; LaTeX documents declare each character."""
from __future__ import annotations

_MATH = {
    "μ": r"\mu", "σ": r"\sigma", "π": r"\pi", "φ": r"\varphi", "ε": r"\varepsilon", "Σ": r"\Sigma",
    "∫": r"\int", "∑": r"\sum", "∞": r"\infty", "ℝ": r"\mathbb{R}", "‖": r"\|", "≤": r"\le", "≥": r"\ge",
    "≈": r"\approx", "·": r"\cdot", "→": r"\to", "∈": r"\in", "−": "-", "½": r"\tfrac12", "⁻": "^{-}",
    "¹": "^1", "²": "^2", "³": "^3", "ᵀ": "^T", "₁": "_1", "₂": "_2", "ᵢ": "_i", "ₖ": "_k", "…": r"\ldots",
    "ℓ": r"\ell", "⊤": r"\top", "Δ": r"\Delta", "λ": r"\lambda", "τ": r"\tau", "ν": r"\nu",
    "ψ": r"\psi", "κ": r"\kappa", "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "θ": r"\theta",
    "ρ": r"\rho", "ω": r"\omega", "Λ": r"\Lambda", "×": r"\times", "≠": r"\ne", "⁰": "^0",
    "ₚ": "_p", "ⁿ": "^n", "ₙ": "_n", "₃": "_3", "ₘ": "_m", "ⱼ": "_j", "ₗ": "_l", "ᵈ": "^d", "⁴": "^4",
    "ᵏ": "^k", "ˣ": "^x", "ₐ": "_a", "ₑ": "_e", "⊗": r"\otimes", "⋅": r"\cdot", "∀": r"\forall", "ᵩ": r"_\varphi", "ₓ": "_x", "₀": "_0", "√": r"\surd", "∂": r"\partial",
    "≻": r"\succ", "⅛": r"\tfrac18", "¼": r"\tfrac14", "±": r"\pm", "↔": r"\leftrightarrow", "Φ": r"\Phi", "ᵤ": "_u",
}
_TEXT = {"é": r"\'e", "ü": r'\"u', "–": "--", "—": "---", "’": "'", "“": "``", "”": "''"}
_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            ">": r"\textgreater{}", "<": r"\textless{}"}  # (in the default font encoding, > prints as ¿)


def escape(text: str) -> str:
    """Escape LaTeX's special characters; Unicode passes through to the declarations."""
    return "".join(_SPECIAL.get(c, c) for c in text)


def unicode_declarations(text: str) -> str:
    """``\\DeclareUnicodeCharacter`` lines for every non-ASCII character in ``text``.

    A character without a declaration fails here, at generation, not in pdflatex.
    """
    lines = []
    for c in sorted({c for c in text if ord(c) > 127}):
        if c in _MATH:
            body = rf"\ensuremath{{{_MATH[c]}}}"
        elif c in _TEXT:
            body = _TEXT[c]
        else:
            raise ValueError(f"no LaTeX for the character {c!r} (U+{ord(c):04X}); add it to derive.emit.prose")
        lines.append(rf"\DeclareUnicodeCharacter{{{ord(c):04X}}}{{{body}}}")
    return "\n".join(lines)
