"""Parser for Composer-style strategy files (section 4.1 of the reference).

Tokens: whitespace and commas (ignored), ``;`` comments, ``( ) [ ] { }``,
strings with escapes, decimals ``-?\\d+\\.\\d+``, integers ``-?\\d+``, keywords
``:name``, and symbols. Every number becomes ``Decimal``; ``nil`` is an
ordinary symbol (the real parser does the same: ``(asset "SMR" nil)``).

Limits, as in the real system: nesting depth 300 and file size 10 MB (we read
"MB" as 10 * 1024 * 1024 bytes). The parser is iterative, so a file at the depth
limit never meets Python's recursion limit.

A file holds exactly one top-level form. Syntax errors raise
:class:`DslSyntaxError` naming file, line and column, showing the line with a
caret, and saying how to fix it.

Parsing is a pure function of (text, file name) and the tree is immutable
(frozen nodes, tuples), so successful parses are kept in a small process-wide
LRU map: a simulated day's strategy workers parse the same files again on
every invocation (the 12 real files: a tenth of a day). A syntax error is
never kept; it is raised afresh each time.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path

from workflows.dsl.errors import DslSyntaxError
from workflows.dsl.nodes import Atom, ListKind, ListNode, Node, Symbol

MAX_DEPTH = 300
MAX_BYTES = 10 * 1024 * 1024

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,]+)
  | (?P<comment>;[^\n]*)
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<unterminated>")
  | (?P<float>-?\d+\.\d+)
  | (?P<int>-?\d+)
  | (?P<keyword>:[a-zA-Z_][a-zA-Z0-9_-]*)
  | (?P<symbol>[a-zA-Z_><=!?+*/-][a-zA-Z0-9_><=!?+*/-]*)
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_KIND_OF_OPENER: dict[str, ListKind] = {"(": "list", "[": "vector", "{": "map"}
_CLOSER_OF = {"(": ")", "[": "]", "{": "}"}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}


class _Source:
    """The text being parsed plus position → (line, column) lookup."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, pos: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._line_starts, pos) - 1
        return index + 1, pos - self._line_starts[index] + 1

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def error(self, pos: int, message: str, hint: str) -> DslSyntaxError:
        line, column = self.where(pos)
        return DslSyntaxError(message, self.file, line, column, self.line_text(line), hint)


class _Frame:
    """An open bracket waiting for its closer."""

    __slots__ = ("opener", "pos", "line", "column", "children")

    def __init__(self, opener: str, pos: int, line: int, column: int) -> None:
        self.opener, self.pos, self.line, self.column = opener, pos, line, column
        self.children: list[Node] = []


PARSED_MAX = 128
_parsed: OrderedDict[tuple[str, str], Node] = OrderedDict()


def parse(text: str, file: str = "<string>") -> Node:
    """Parse one strategy (one top-level form) from ``text``."""
    key = (text, file)
    tree = _parsed.get(key)
    if tree is not None:
        _parsed.move_to_end(key)
        return tree
    tree = _parse(text, file)
    _parsed[key] = tree
    if len(_parsed) > PARSED_MAX:
        _parsed.popitem(last=False)
    return tree


def _parse(text: str, file: str) -> Node:
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise DslSyntaxError(
            f"file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit",
            file, 1, 1, "", "split the strategy or remove unused branches",
        )
    source = _Source(text, file)
    forms = _parse_forms(source)
    if not forms:
        raise source.error(len(text), "no form found", "a strategy file holds one (defsymphony ...) form")
    if len(forms) > 1:
        extra = forms[1]
        raise DslSyntaxError(
            "more than one top-level form", file, extra.line, extra.column,
            source.line_text(extra.line),
            "a strategy file holds exactly one form; check for an extra closing bracket earlier",
        )
    return forms[0]


def parse_file(path: str | Path) -> Node:
    """Read and parse a strategy file (UTF-8). ``file`` in errors is the path."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DslSyntaxError(
            f"file is {size} bytes, over the {MAX_BYTES // (1024 * 1024)} MB limit",
            str(path), 1, 1, "", "split the strategy or remove unused branches",
        )
    return parse(path.read_text(encoding="utf-8"), str(path))


def _parse_forms(source: _Source) -> list[Node]:
    stack: list[_Frame] = []
    top: list[Node] = []
    for match in _TOKEN.finditer(source.text):
        group = match.lastgroup
        if group in ("skip", "comment"):
            continue
        pos = match.start()
        if group == "open":
            _push(source, stack, match.group(), pos)
            continue
        if group == "close":
            node = _pop(source, stack, match.group(), pos)
        else:
            node = _atom(source, group, match.group(), pos)
        (stack[-1].children if stack else top).append(node)
    if stack:
        frame = stack[-1]
        closer = _CLOSER_OF[frame.opener]
        raise source.error(
            frame.pos,
            f"unclosed '{frame.opener}' opened at {frame.line}:{frame.column}",
            f"add the missing '{closer}' (the file ended before it was closed)",
        )
    return top


def _push(source: _Source, stack: list[_Frame], opener: str, pos: int) -> None:
    if len(stack) >= MAX_DEPTH:
        raise source.error(
            pos,
            f"nesting deeper than {MAX_DEPTH} levels",
            "flatten the strategy: the real engine refuses files nested this deep",
        )
    line, column = source.where(pos)
    stack.append(_Frame(opener, pos, line, column))


def _pop(source: _Source, stack: list[_Frame], closer: str, pos: int) -> ListNode:
    if not stack:
        raise source.error(
            pos, f"unexpected '{closer}' with nothing open",
            f"remove this '{closer}' or add its opening bracket earlier",
        )
    frame = stack.pop()
    expected = _CLOSER_OF[frame.opener]
    if closer != expected:
        raise source.error(
            pos,
            f"'{frame.opener}' opened at {frame.line}:{frame.column} is closed by '{closer}'",
            f"use '{expected}' here, or check the brackets between the two positions",
        )
    kind = _KIND_OF_OPENER[frame.opener]
    return ListNode(tuple(frame.children), kind, frame.line, frame.column)


def _atom(source: _Source, group: str | None, text: str, pos: int) -> Node:
    line, column = source.where(pos)
    if group == "string":
        return Atom(_unescape(source, text, pos), line, column)
    if group in ("float", "int"):
        return Atom(Decimal(text), line, column)
    if group in ("keyword", "symbol"):
        return Symbol(text, line, column)
    if group == "unterminated":
        raise source.error(pos, "unterminated string", 'close the string with a matching \'"\'')
    raise source.error(
        pos, f"unexpected character {text!r}",
        "symbols use letters, digits and _><=!?+*/-; text belongs in double quotes",
    )


def _unescape(source: _Source, token: str, pos: int) -> str:
    body = token[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt not in _ESCAPES:
            raise source.error(
                pos + 1 + i, f"unknown escape '\\{nxt}' in string",
                'use one of \\" \\\\ \\n \\t \\r \\/',
            )
        out.append(_ESCAPES[nxt])
        i += 2
    return "".join(out)
