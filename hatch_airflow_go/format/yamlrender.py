"""A byte-exact model of gopkg.in/yaml.v3's encoder for the one document shape a manifest has.

Upstream's packer renders ``airflow-metadata.yaml`` with yaml.v3 (indent 2, unlimited line
width, unicode output). No Python YAML library writes the same bytes, so this module follows
the encoder's decisions itself: how a scalar is classified (plain allowed? single quotes
allowed? block allowed?), which style a key gets in a simple or a complex (``? ``) key
position, how each style writes its characters, and where the encoder breaks lines and
indents. The rules are checked against the real encoder by the golden files under
``tests/golden``.

Columns are counted in characters, as the encoder does; line width never matters because
yaml.v3 never folds lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

PLAIN = "plain"
SINGLE_QUOTED = "single"
DOUBLE_QUOTED = "double"
LITERAL = "literal"

BEST_INDENT = 2
# A key longer than this many UTF-8 bytes cannot be a simple (implicit) key.
MAX_SIMPLE_KEY_BYTES = 128

_BREAKS = frozenset("\r\n\x85\u2028\u2029")
# Characters that end a "preceded by whitespace" run for the `#` indicator rule.
_BLANKZ = frozenset(" \t\x00") | _BREAKS
_FIRST_CHAR_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_NAMED_ESCAPES = {
    0x00: "0",
    0x07: "a",
    0x08: "b",
    0x09: "t",
    0x0A: "n",
    0x0B: "v",
    0x0C: "f",
    0x0D: "r",
    0x1B: "e",
    0x22: '"',
    0x5C: "\\",
    0x85: "N",
    0xA0: "_",
    0x2028: "L",
    0x2029: "P",
}


def is_printable(char: str) -> bool:
    """Whether yaml.v3 may write ``char`` unescaped (its UTF-8 lead-byte test, by code point)."""
    code = ord(char)
    if code == 0x0A or 0x20 <= code <= 0x7E:
        return True
    if 0xA0 <= code <= 0xD7FF:
        return True
    return 0xE000 <= code <= 0xFFFD and code != 0xFEFF


def is_break(char: str) -> bool:
    """A YAML line break: CR, LF, NEL, LS or PS."""
    return char in _BREAKS


@dataclass(frozen=True)
class ScalarAnalysis:
    """What the encoder concludes about a scalar's text before choosing its style."""

    multiline: bool
    block_plain_allowed: bool
    single_quoted_allowed: bool
    block_allowed: bool


def analyze(value: str) -> ScalarAnalysis:
    """Classify ``value`` the way yaml.v3's scalar analysis does (block context only)."""
    if not value:
        return ScalarAnalysis(False, True, True, False)

    block_indicators = value.startswith(("---", "..."))
    line_breaks = special = tabs = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = False
    preceded_by_ws = True
    previous_space = previous_break = False
    last = len(value) - 1

    for i, char in enumerate(value):
        followed_by_ws = i == last or value[i + 1] in " \t"
        if i == 0:
            if char in _FIRST_CHAR_INDICATORS or (char in "?:-" and followed_by_ws):
                block_indicators = True
        elif (char == ":" and followed_by_ws) or (char == "#" and preceded_by_ws):
            block_indicators = True

        if char == "\t":
            tabs = True
        elif not is_printable(char):
            special = True

        if char == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == last
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif char in _BREAKS:
            line_breaks = True
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == last
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = char in _BLANKZ

    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space:
        plain = single = False
    if space_break or tabs or special:
        plain = single = False
    if space_break or special:
        block = False
    if line_breaks or block_indicators:
        plain = False
    return ScalarAnalysis(line_breaks, plain, single, block)


def key_style(value: str, *, simple: bool, requested: Optional[str] = None) -> str:
    """The style yaml.v3 writes a mapping key in.

    ``requested`` is the node's own style; by default an untagged plain node, which the
    encoder turns into a literal block request when the text holds a line feed.
    """
    info = analyze(value)
    style = requested or (LITERAL if "\n" in value else PLAIN)
    if simple and info.multiline:
        style = DOUBLE_QUOTED
    if style == PLAIN and (not info.block_plain_allowed or (not value and simple)):
        style = SINGLE_QUOTED
    if style == SINGLE_QUOTED and not info.single_quoted_allowed:
        style = DOUBLE_QUOTED
    if style == LITERAL and (not info.block_allowed or simple):
        style = DOUBLE_QUOTED
    return style


def is_simple_key(value: str) -> bool:
    """Whether yaml.v3 writes ``value`` as an implicit key (else as ``? key``)."""
    return not analyze(value).multiline and len(value.encode("utf-8")) <= MAX_SIMPLE_KEY_BYTES


def _escape(char: str) -> str:
    code = ord(char)
    named = _NAMED_ESCAPES.get(code)
    if named is not None:
        return "\\" + named
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _needs_escape(char: str) -> bool:
    return not is_printable(char) or char in _BREAKS or char in '"\\'


class Writer:
    """The encoder's output state: text so far, column, and its whitespace/indention flags."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True

    def text(self) -> str:
        """Everything written so far."""
        return "".join(self.parts)

    def _put(self, text: str) -> None:
        self.parts.append(text)
        self.column += len(text)

    def put_break(self) -> None:
        """Start a new line."""
        self.parts.append("\n")
        self.column = 0
        self.indention = True

    def _write_break(self, char: str) -> None:
        if char == "\n":
            self.put_break()
        else:
            # NEL, LS, PS and CR are written as they are and count as a new line.
            self.parts.append(char)
            self.column = 0
            self.indention = True

    def write_indent(self, indent: int) -> None:
        """Move to ``indent`` on the current line if it is still blank, else on a new line."""
        if (
            not self.indention
            or self.column > indent
            or (self.column == indent and not self.whitespace)
        ):
            self.put_break()
        if self.column < indent:
            self._put(" " * (indent - self.column))
        self.whitespace = True

    def indicator(
        self, text: str, *, need_whitespace: bool, is_whitespace: bool, is_indention: bool
    ) -> None:
        """Write an indicator such as ``:``, ``-``, ``?``, ``[`` or a quote."""
        if need_whitespace and not self.whitespace:
            self._put(" ")
        self._put(text)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention

    def scalar(self, value: str, style: str, indent: int) -> None:
        """Write ``value`` in ``style``; ``indent`` is where continuation lines start."""
        if style == PLAIN:
            self._plain(value)
        elif style == SINGLE_QUOTED:
            self._single_quoted(value, indent)
        elif style == DOUBLE_QUOTED:
            self._double_quoted(value)
        elif style == LITERAL:
            self._literal(value, indent)
        else:  # pragma: no cover - the styles above are the only ones this module picks
            raise ValueError(f"unknown scalar style {style!r}")

    def _plain(self, value: str) -> None:
        # A plain scalar never holds a line break (the analysis forbids it).
        if value and not self.whitespace:
            self._put(" ")
        self._put(value)
        if value:
            self.whitespace = False
        self.indention = False

    def _single_quoted(self, value: str, indent: int) -> None:
        self.indicator("'", need_whitespace=True, is_whitespace=False, is_indention=False)
        breaks = False
        for char in value:
            if char == " ":
                self._put(char)
            elif char in _BREAKS:
                # A lone line feed inside quotes would fold into a space: write it twice.
                if not breaks and char == "\n":
                    self.put_break()
                self._write_break(char)
                breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self._put("''" if char == "'" else char)
                self.indention = False
                breaks = False
        self.indicator("'", need_whitespace=False, is_whitespace=False, is_indention=False)
        self.whitespace = False
        self.indention = False

    def _double_quoted(self, value: str) -> None:
        self.indicator('"', need_whitespace=True, is_whitespace=False, is_indention=False)
        # yaml.v3 tests for a byte-order mark at the start of the whole value, not at the
        # current character, so a value that starts with U+FEFF is escaped throughout.
        escape_all = value.startswith("\ufeff")
        if not escape_all and not any(_needs_escape(char) for char in value):
            self._put(value)
        else:
            self._put(
                "".join(
                    _escape(char) if escape_all or _needs_escape(char) else char for char in value
                )
            )
        self.indicator('"', need_whitespace=False, is_whitespace=False, is_indention=False)
        self.whitespace = False
        self.indention = False

    def _literal(self, value: str, indent: int) -> None:
        self.indicator("|", need_whitespace=True, is_whitespace=False, is_indention=False)
        if value[:1] == " " or (value and value[0] in _BREAKS):
            self.indicator(
                str(BEST_INDENT), need_whitespace=False, is_whitespace=False, is_indention=False
            )
        chomp = ""
        if not value or value[-1] not in _BREAKS:
            chomp = "-"
        elif len(value) == 1 or value[-2] in _BREAKS:
            chomp = "+"
        if chomp:
            self.indicator(chomp, need_whitespace=False, is_whitespace=False, is_indention=False)
        self.whitespace = True
        breaks = True
        for char in value:
            if char in _BREAKS:
                self._write_break(char)
                breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self._put(char)
                self.indention = False
                breaks = False


@dataclass(frozen=True)
class Entry:
    """One dag of the document: its id, its tasks, and the style its key must be written in."""

    dag_id: str
    tasks: Sequence[str]
    forced_key_style: Optional[str] = None


def _scalar_indent(parent_indent: int) -> int:
    # The encoder aligns a scalar's own indent to the next multiple of the indent step.
    return BEST_INDENT * ((parent_indent + BEST_INDENT) // BEST_INDENT)


def _block_key(writer: Writer, key: str, indent: int, forced_style: Optional[str] = None) -> None:
    writer.write_indent(indent)
    if is_simple_key(key):
        style = key_style(key, simple=True, requested=forced_style)
        writer.scalar(key, style, _scalar_indent(indent))
        writer.indicator(":", need_whitespace=False, is_whitespace=False, is_indention=False)
        return
    writer.indicator("?", need_whitespace=True, is_whitespace=False, is_indention=True)
    style = key_style(key, simple=False, requested=forced_style)
    writer.scalar(key, style, _scalar_indent(indent))
    writer.write_indent(indent)
    writer.indicator(":", need_whitespace=True, is_whitespace=False, is_indention=True)


def _quoted_value(writer: Writer, value: str, indent: int) -> None:
    writer.scalar(value, DOUBLE_QUOTED, _scalar_indent(indent))


def render_document(
    *,
    metadata_version: str,
    sdk: Sequence[tuple[str, str]],
    source: Optional[str],
    entries: Sequence[Entry],
) -> str:
    """Render a V1 manifest exactly as yaml.v3 does for the packer's node tree.

    ``sdk`` is the ordered (key, value) pairs of the sdk block; ``entries`` must already be
    in the order the dags are to appear (the packer sorts dag ids byte-wise).
    """
    writer = Writer()
    _block_key(writer, "airflow_bundle_metadata_version", 0)
    _quoted_value(writer, metadata_version, 0)
    _block_key(writer, "sdk", 0)
    for key, value in sdk:
        _block_key(writer, key, BEST_INDENT)
        _quoted_value(writer, value, BEST_INDENT)
    if source is not None:
        _block_key(writer, "source", 0)
        _quoted_value(writer, source, 0)
    _block_key(writer, "dags", 0)
    if not entries:
        writer.indicator("{", need_whitespace=True, is_whitespace=True, is_indention=False)
        writer.indicator("}", need_whitespace=False, is_whitespace=False, is_indention=False)
    dag_indent = BEST_INDENT
    tasks_indent = 2 * BEST_INDENT
    item_indent = 3 * BEST_INDENT
    for entry in entries:
        _block_key(writer, entry.dag_id, dag_indent, entry.forced_key_style)
        _block_key(writer, "tasks", tasks_indent)
        if not entry.tasks:
            writer.indicator("[", need_whitespace=True, is_whitespace=True, is_indention=False)
            writer.indicator("]", need_whitespace=False, is_whitespace=False, is_indention=False)
            continue
        for task in entry.tasks:
            writer.write_indent(item_indent)
            writer.indicator("-", need_whitespace=True, is_whitespace=False, is_indention=True)
            # Inside a sequence item the encoder indents continuation by the "- " width.
            writer.scalar(task, DOUBLE_QUOTED, item_indent + 2)
    writer.write_indent(0)
    return writer.text()
