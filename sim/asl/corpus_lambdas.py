"""The Lambda functions the conformance corpus calls, as handlers for the simulator's Lambda.

Each case's ``lambdas`` field names a function and describes it in words; the
handlers here do exactly that. They are compiled from source text under the
file name AWS shows, ``/var/task/handler.py``, so a raised exception's stack
trace names that file and the recorded line (``raise_exception`` raises on
line 2, ``raise_custom_exception`` on line 9, as in the recorded error
documents). All handlers share that one file name, so they are laid out as one
virtual file, each at its own lines, and that file's text is what ``linecache``
shows for ``/var/task/handler.py``.

Sleeping handlers call ``time.sleep(60)``; inside a handler the simulator makes
that virtual. Two handlers return ``bytes``: real Lambda sends a handler's bytes
as the response payload unchanged (no JSON encoding).

A handler is found by its behaviour text first (so a function with another
name but a known behaviour works), then by name.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass
from typing import Any, Callable

from sim.asl.conformance import NotRunnable

HANDLER_FILE = "/var/task/handler.py"
SLEEPS = "sleeps 60 seconds, then returns its input event unchanged"


@dataclass(frozen=True)
class CorpusLambda:
    name: str
    behaviour: str
    first_line: int  # where the source sits in /var/task/handler.py
    source: str


LAMBDAS: tuple[CorpusLambda, ...] = (
    CorpusLambda("raise_exception",
                 "raises a plain Python Exception whose message is 'Some exception was raised.' "
                 "(the Lambda error type is 'Exception')", 1,
                 'def handler(event, context):\n'
                 '    raise Exception("Some exception was raised.")\n'),
    CorpusLambda("raise_custom_exception",
                 "raises an exception of a user-defined class named CustomException, whose message attribute "
                 "is 'CustomException message' and whose str() is empty", 4,
                 'class CustomException(Exception):\n'
                 '    def __init__(self):\n'
                 '        self.message = "CustomException message"\n'
                 '\n'
                 'def handler(event, context):\n'
                 '    raise CustomException()\n'),
    CorpusLambda("id_function", "returns its input event unchanged", 12,
                 'def handler(event, context):\n'
                 '    return event\n'),
    CorpusLambda("return_bytes_str", "returns the bytes b'\"HelloWorld!\"' (a JSON string encoded as bytes)", 16,
                 'def handler(event, context):\n'
                 '    return b\'"HelloWorld!"\'\n'),
    CorpusLambda("large_output_string",
                 "returns a bytes value of 257 KiB of the letter 'a' (over the 256 KiB payload limit)", 20,
                 'def handler(event, context):\n'
                 '    return b"a" * (257 * 1024)\n'),
    CorpusLambda("wait_60_seconds", SLEEPS, 24,
                 'import time\n'
                 '\n'
                 '\n'
                 'def handler(event, context):\n'
                 '    time.sleep(60)\n'
                 '    return event\n'),
    CorpusLambda("lambda_1_func_uid1", SLEEPS, 24, ""),  # the same code as wait_60_seconds
)


class UnknownLambda(NotRunnable):
    """The corpus names a function whose behaviour has no handler here."""


def handler_for(name: str, description: Any = None) -> Callable[[Any, Any], Any]:
    """The handler ``handler(event, context)`` for the corpus function ``name``.

    ``description`` is the case's ``lambdas[name]`` entry (``{"behaviour": ...}``)
    or the behaviour text; when given, it must be a behaviour known here.
    """
    spec = _find(name, _behaviour(description))
    text = handler_file_text()
    _register_source(text)
    return _compile(spec, text)


def known_names() -> list[str]:
    return [spec.name for spec in LAMBDAS]


def handler_file_text() -> str:
    """The virtual /var/task/handler.py: every handler's source at its own lines."""
    lines: list[str] = []
    taken: set[int] = set()
    for spec in LAMBDAS:
        body = spec.source.splitlines()
        span = set(range(spec.first_line - 1, spec.first_line - 1 + len(body)))
        if span & taken:
            raise AssertionError(f"corpus lambda {spec.name} overlaps another handler's lines")
        taken |= span
        lines.extend([""] * (spec.first_line - 1 + len(body) - len(lines)))
        lines[spec.first_line - 1:spec.first_line - 1 + len(body)] = body
    return "\n".join(lines) + "\n"


def _behaviour(description: Any) -> str | None:
    if description is None:
        return None
    if isinstance(description, dict):
        description = description.get("behaviour")
    return " ".join(str(description).split()) if description else None


def _find(name: str, behaviour: str | None) -> CorpusLambda:
    if behaviour is not None:
        for spec in LAMBDAS:
            if spec.behaviour == behaviour:
                return spec
        raise UnknownLambda(f"lambda:{name}: no corpus handler does {behaviour!r}")
    for spec in LAMBDAS:
        if spec.name == name:
            return spec
    raise UnknownLambda(f"lambda:{name}: unknown corpus function (known: {', '.join(known_names())})")


def _source_of(spec: CorpusLambda) -> CorpusLambda:
    """The entry that holds the code (aliases such as lambda_1_func_uid1 share another's)."""
    if spec.source:
        return spec
    return next(s for s in LAMBDAS if s.source and s.behaviour == spec.behaviour)


def _compile(spec: CorpusLambda, text: str) -> Callable[[Any, Any], Any]:
    code_spec = _source_of(spec)
    padded = "\n" * (code_spec.first_line - 1) + code_spec.source  # line numbers as in the file
    namespace: dict[str, Any] = {"__name__": f"corpus_handler_{spec.name}", "__file__": HANDLER_FILE,
                                 "__loader__": _SourceLoader(text)}
    exec(compile(padded, HANDLER_FILE, "exec"), namespace)  # noqa: S102 - our own fixed source text
    return namespace["handler"]


class _SourceLoader:
    """Lets ``linecache`` find the virtual file again if its entry is ever dropped."""

    def __init__(self, text: str) -> None:
        self.text = text

    def get_source(self, _name: str) -> str:
        return self.text


def _register_source(text: str) -> None:
    """Show /var/task/handler.py's lines in tracebacks (an mtime of None: never re-read from disk)."""
    lines = text.splitlines(keepends=True)
    linecache.cache[HANDLER_FILE] = (len(text), None, lines, HANDLER_FILE)
