"""A fit summary that prints as text and exports to HTML and LaTeX.

:class:`Summary` is what :meth:`growthcast.FitResult.summary` returns, in
the manner of statsmodels' ``Summary``: a title, a few :class:`Table` s,
each with lines of text under it, and notes at the end. Its ``str()`` is
the fixed-width text; :meth:`Summary.as_html` gives escaped HTML tables
(and Jupyter shows them, through ``_repr_html_``) and
:meth:`Summary.as_latex` ``tabular`` environments that need no LaTeX
package.

This module knows nothing of fits: it lays out strings. It imports nothing
from the package, so every layer may use it.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Summary", "Table"]


@dataclass(frozen=True)
class Table:
    """Rows of cells (strings) with an optional header and lines of text under them.

    Parameters
    ----------
    rows : sequence of sequence of str
        The cells, row by row; every row has as many cells as ``widths``.
    widths : sequence of int
        Column widths of the text layout. A cell wider than its column
        pushes the rest of its row to the right (after one space).
    align : str
        ``"l"`` or ``"r"`` per column: left- or right-aligned.
    header : sequence of str, optional
        Column headings; the text layout draws a rule above and below them.
    labels : bool
        Cells in even columns (0, 2, ...) are labels of the cell to their
        right (``"SSE:" 12.3``); HTML marks them as row headers.
    footer : sequence of str
        Lines printed under the table (a wrapped specification, footnotes).
    """

    rows: Sequence[Sequence[str]]
    widths: Sequence[int]
    align: str
    header: Sequence[str] = ()
    labels: bool = False
    footer: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(tuple(str(c) for c in r) for r in self.rows))
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "header", tuple(str(c) for c in self.header))
        object.__setattr__(self, "footer", tuple(str(line) for line in self.footer))
        n = len(self.widths)
        if len(self.align) != n or any(a not in "lr" for a in self.align):
            raise ValueError(f"align needs one of 'l' or 'r' per column ({n}), got {self.align!r}")
        bad = [r for r in self.rows + ((self.header,) if self.header else ()) if len(r) != n]
        if bad:
            raise ValueError(f"every row needs {n} cells, got {bad[0]!r}")

    def text_lines(self) -> list[str]:
        """The rows (and the header) laid out in fixed-width columns.

        Returns
        -------
        list of str
            One line per row, without line endings.
        """
        return [_text_row(r, self.widths, self.align) for r in self.rows]


def _text_row(cells: Sequence[str], widths: Sequence[int], align: str) -> str:
    line = ""
    end = 0
    for cell, width, a in zip(cells, widths, align):
        end += width
        if line and not line.endswith(" ") and len(line) >= end - width and cell:
            line += " "  # the previous cell overflowed its column: keep the cells apart
        if a == "l":
            line = (line + cell).ljust(end)
        else:
            line += cell.rjust(end - len(line)) if len(line) + len(cell) <= end else cell
    return line.rstrip()


class Summary(str):
    """A fit summary: text with ``as_text()``, ``as_html()`` and ``as_latex()``.

    It is a ``str`` whose value is the text layout, so code that printed,
    searched or wrote the text summary keeps working; the tables it was
    made from are in ``tables``, the closing notes in ``notes``.

    Parameters
    ----------
    title : str
    tables : sequence of Table
    notes : sequence of str
        Lines after the tables (how the model forecasts, warnings).
    width : int
        Width of the text layout (the rules).

    Examples
    --------
    >>> from growthcast.summary import Summary, Table
    >>> table = Table([("a_1", "50%")], widths=(6, 6), align="lr", header=("name", "share"))
    >>> s = Summary("fit", [table], ["Shares."], width=12)
    >>> print(s.as_text())
    ============
        fit
    ============
    name   share
    ------------
    a_1      50%
    ============
    Shares.
    >>> print(s.as_latex().splitlines()[6])
    a\\_1 & 50\\% \\\\
    """

    title: str
    tables: tuple[Table, ...]
    notes: tuple[str, ...]
    width: int

    def __new__(cls, title: str, tables: Sequence[Table], notes: Sequence[str] = (), *, width: int = 78) -> "Summary":
        tables = tuple(tables)
        notes = tuple(line for block in notes for line in str(block).splitlines())
        self = super().__new__(cls, _as_text(title, tables, notes, width))
        self.title, self.tables, self.notes, self.width = title, tables, notes, width
        return self

    def __reduce__(self):
        return (_rebuild, (type(self), self.title, self.tables, self.notes, self.width))

    def __repr__(self) -> str:  # as statsmodels' Summary: the text, readable at the prompt
        return f'{type(self).__name__}(\n"""\n{self.as_text()}\n"""\n)'

    def as_text(self) -> str:
        """The fixed-width text (what ``str()`` and ``print`` show).

        Returns
        -------
        str
        """
        return str.__str__(self)

    def as_html(self) -> str:
        """HTML: one ``<table>`` per table, every cell escaped, inside ``<div class="growthcast-summary">``.

        The fragment is well-formed (XHTML-compatible): every element is closed.

        Returns
        -------
        str
        """
        out = ['<div class="growthcast-summary">']
        for i, table in enumerate(self.tables):
            out.append('<table class="simpletable">')
            if i == 0 and self.title:
                out.append(f"<caption>{_h(self.title)}</caption>")
            if table.header:
                cells = "".join(f'<th scope="col">{_h(c)}</th>' for c in table.header)
                out.append(f"<thead><tr>{cells}</tr></thead>")
            out.append("<tbody>")
            for row in table.rows:
                cells = []
                for j, c in enumerate(row):
                    style = ' style="text-align:right"' if table.align[j] == "r" else ""
                    if c and ((table.labels and j % 2 == 0) or (table.header and j == 0)):
                        cells.append(f'<th scope="row"{style}>{_h(c)}</th>')
                    else:
                        cells.append(f"<td{style}>{_h(c)}</td>")
                out.append(f"<tr>{''.join(cells)}</tr>")
            out.append("</tbody></table>")
            if table.footer:
                out.append(f"<p>{'<br/>'.join(_h(line) for line in table.footer)}</p>")
        if self.notes:
            out.append(f"<p>{'<br/>'.join(_h(line) for line in self.notes)}</p>")
        out.append("</div>")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.as_html()

    def as_latex(self) -> str:
        """LaTeX: a ``center`` environment with one ``tabular`` per table, text escaped.

        Needs no package; ``\\input`` it into a document body. The characters
        ``\\ & % $ # _ { } ~ ^ < >`` and a few typographic ones are escaped,
        and brackets braced (a cell may start with ``[`` after ``\\\\``).

        Returns
        -------
        str
        """
        out = ["\\begin{center}"]
        if self.title:
            out.append(f"\\textbf{{{_tex(self.title)}}}\\par\\medskip")
        for table in self.tables:
            out.append(f"\\begin{{tabular}}{{{table.align}}}")
            out.append("\\hline")
            if table.header:
                out.append(" & ".join(_tex(c) for c in table.header) + " \\\\")
                out.append("\\hline")
            out += [" & ".join(_tex(c) for c in row) + " \\\\" for row in table.rows]
            out.append("\\hline")
            out.append("\\end{tabular}\\par")
            if table.footer:
                out.append("{\\small " + "\\\\\n".join(_tex(line) for line in table.footer) + "}\\par")
            out.append("\\medskip")
        out.append("\\end{center}")
        if self.notes:
            out.append("\\\\\n".join(_tex(line) for line in self.notes if line.strip()))
        return "\n".join(out)


def _rebuild(cls, title, tables, notes, width):
    return cls(title, tables, notes, width=width)


def _as_text(title: str, tables: tuple[Table, ...], notes: tuple[str, ...], width: int) -> str:
    lines = ["=" * width]
    if title:
        lines += [f"{title:^{width}}".rstrip(), "=" * width]
    for i, table in enumerate(tables):
        if table.header:
            if i > 0:
                lines.append("-" * width)
            lines += [_text_row(table.header, table.widths, table.align), "-" * width]
        lines += table.text_lines()
        lines += list(table.footer)
    if tables:
        lines.append("=" * width)
    for line in notes:  # wrapped here only: HTML and LaTeX reflow them
        lines += textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False) or [""]
    return "\n".join(lines)


def _h(text: str) -> str:
    return html.escape(text, quote=True)


_TEX = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "[": "{[}", "]": "{]}", "…": r"\ldots{}", "–": "--", "—": "---", "−": "-", "²": r"\textsuperscript{2}",
    "±": r"\ensuremath{\pm}", "≥": r"\ensuremath{\geq}", "≤": r"\ensuremath{\leq}", "\n": " ",
}


def _tex(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(_TEX.get(ch, ch) for ch in text)
