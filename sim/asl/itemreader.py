"""The distributed Map's ItemReader: the items it reads from S3.

``read(state, doc, states, env, ex)`` is a SimProcess body returning the list of items.
S3 is reached only through the execution's ports:

* ``body = yield from ex.ports.s3_get_object(bucket, key)`` - the object's body (``str``;
  ``bytes`` also accepted, gzip bodies are inflated), or raises StatesError;
* ``objects = yield from ex.ports.s3_list_objects(bucket, prefix)`` - dicts shaped like
  ListObjectsV2 ``Contents`` (each is normalised here to what the Map iterates:
  ``{"Etag", "Key", "LastModified" (epoch seconds), "Size", "StorageClass"}``).

Readers (docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html):
``s3:getObject`` with ReaderConfig.InputType JSON (an array, or the array that
``ItemsPointer`` selects), JSONL, CSV (CSVHeaderLocation FIRST_ROW or GIVEN, CSVDelimiter;
values are strings, missing fields are "", extra fields are dropped, empty lines are
skipped), MANIFEST / ManifestType S3_INVENTORY (an S3 inventory manifest.json) and
ManifestType ATHENA_DATA; ``s3:listObjectsV2`` (Bucket, Prefix; Transformation
LOAD_AND_FLATTEN reads every listed object with InputType).

MaxItems / MaxItemsPath: 0 means no limit, values above 100,000,000 are clipped to it.
The Map's ItemsPath is not applied to what a reader produced (AWS ignores it then).
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timezone
from typing import Any, Iterator

from sim.asl import jsonata_, paths, payload
from sim.asl.env import Env
from sim.asl.errors import StatesError, StatesErrorName, runtime_error, to_json
from sim.asl.machine import JSONATA, StateDecl
from sim.asl.ports import SimProcess

MAX_ITEMS_LIMIT = 100_000_000
DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}

# causes of States.ItemReaderFailed (the first three as AWS words them)
NON_ITERABLE = "Attempting to map over non-iterable node."
DUPLICATE_HEADERS = "CSV headers cannot contain duplicates."
NEGATIVE_MAX_ITEMS = "field MaxItems must be positive"
POINTER_MISS = "The provided ReaderConfig.ItemsPointer does not match any valid path in the JSON structure."


def failed(cause: str) -> StatesError:
    return StatesError(StatesErrorName.ITEM_READER_FAILED, cause)


# -- entry point -----------------------------------------------------------------------------
def read(state: StateDecl, doc: Any, states: dict | None, env: Env, ex: Any) -> SimProcess:
    """The items of ``state``'s ItemReader (a list), or raises StatesError."""
    reader = state.raw["ItemReader"]
    config = reader.get("ReaderConfig") or {}
    params = parameters(state, reader, doc, states, env)
    limit = max_items(state, config, doc, states, env)
    action = _action(reader.get("Resource"))
    if action == "listObjectsV2":
        items = yield from _list_objects(config, params, ex, limit)
    elif action == "getObject":
        items = yield from _get_object(config, params, ex, limit)
    else:
        raise failed(f"Unsupported ItemReader resource: {reader.get('Resource')}")
    return items[:limit] if limit else items


def _action(resource: Any) -> str:
    if not isinstance(resource, str) or ":::" not in resource:
        return ""
    service, _, action = resource.split(":::", 1)[1].partition(":")
    return action if service == "s3" else ""


def parameters(state: StateDecl, reader: dict, doc: Any, states: dict | None, env: Env) -> dict:
    """Parameters (JSONPath, ``.$`` keys) or Arguments (JSONata) of the reader, evaluated."""
    if state.ql == JSONATA:
        value = jsonata_.render(reader.get("Arguments", reader.get("Parameters", {})), states, env, "Arguments")
    else:
        value = payload.render(reader.get("Parameters", {}), doc, env)
    if not isinstance(value, dict) or not isinstance(value.get("Bucket"), str):
        raise failed("The ItemReader parameters must give the Bucket as a string")
    return value


# -- MaxItems ------------------------------------------------------------------------------
def max_items(state: StateDecl, config: dict, doc: Any, states: dict | None, env: Env) -> int:
    """The item limit, 0 for none (MaxItems, or MaxItemsPath against the Map's input)."""
    if "MaxItems" in config:
        value = config["MaxItems"]
        if state.ql == JSONATA and jsonata_.is_expression(value):
            value = jsonata_.render(value, states, env, "MaxItems")
        return _limit(value, "MaxItems", None)
    path = config.get("MaxItemsPath")
    if path is None:
        return 0
    return _limit(paths.resolve(path, doc, env, "MaxItemsPath"), "MaxItemsPath", path)


def _limit(value: Any, field: str, path: str | None) -> int:
    number = _as_integer(value)
    if number is None:
        shown = value if isinstance(value, str) else to_json(value)
        tail = f": {path}" if path is not None else ""
        raise runtime_error(f'The {field} field refers to value "{shown}" which is not a valid integer{tail}')
    if number < 0:
        raise failed(NEGATIVE_MAX_ITEMS)
    return min(number, MAX_ITEMS_LIMIT)


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    return None


# -- s3:getObject --------------------------------------------------------------------------
def _get_object(config: dict, params: dict, ex: Any, limit: int) -> SimProcess:
    key = params.get("Key")
    if not isinstance(key, str):
        raise failed("The ItemReader parameters must give the Key as a string")
    body = yield from ex.ports.s3_get_object(params["Bucket"], key)
    manifest = config.get("ManifestType")
    if config.get("InputType") == "MANIFEST" or manifest == "S3_INVENTORY":
        return (yield from _inventory(body, key, ex, limit))
    if manifest == "ATHENA_DATA":
        return (yield from _athena(body, key, config, ex, limit))
    return parse(text_of(body, key), config, limit)


def parse(text: str, config: dict, limit: int = 0) -> list:
    """The items of one object's text, by ReaderConfig.InputType."""
    kind = config.get("InputType")
    if kind == "JSON":
        return json_items(text, config.get("ItemsPointer"))
    if kind == "JSONL":
        return jsonl_items(text)
    if kind == "CSV":
        return csv_items(text, config, limit)
    if kind == "PARQUET":
        raise failed("Parquet datasets are not supported by this simulator")
    raise failed(f"Unsupported ItemReader InputType: {kind}")


def text_of(body: Any, key: str) -> str:
    """An object body as text: bytes are decoded, gzip (by its magic number) is inflated."""
    if isinstance(body, str) and body.startswith("\x1f\x8b"):
        try:
            body = body.encode("latin-1")
        except UnicodeEncodeError:
            pass  # not gzip after all: a text body that happens to start with those bytes
    if isinstance(body, (bytes, bytearray)):
        try:
            raw = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else bytes(body)
            body = raw.decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError):
            raise failed(f"The object {key} could not be read as UTF-8 text") from None
    if not isinstance(body, str):
        raise failed(f"The object {key} could not be read as text")
    return body[1:] if body.startswith("\ufeff") else body


# -- JSON and JSON Lines -------------------------------------------------------------------
def json_items(text: str, pointer: str | None = None) -> list:
    try:
        value = json.loads(text)
    except ValueError:
        raise failed("The ItemReader could not parse the JSON file") from None
    if pointer:
        value = _pointer(value, pointer)
    if not isinstance(value, list):
        raise failed(NON_ITERABLE)
    return value


def _pointer(value: Any, pointer: str) -> Any:
    """RFC 6901 JSON Pointer (``/inventory/products``)."""
    if not pointer.startswith("/"):
        raise failed(POINTER_MISS)
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise failed(POINTER_MISS)
    return value


def jsonl_items(text: str) -> list:
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except ValueError:
            raise failed(f"The ItemReader could not parse line {number} of the JSON Lines file") from None
    return items


# -- CSV -------------------------------------------------------------------------------------
def csv_items(text: str, config: dict, limit: int = 0) -> list:
    """Rows as objects of strings, keyed by the given headers or the first row's."""
    delimiter = DELIMITERS.get(config.get("CSVDelimiter", "COMMA"))
    if delimiter is None:
        raise failed(f"Unsupported CSVDelimiter: {config.get('CSVDelimiter')}")
    records = csv_records(text, delimiter)
    if config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise failed("CSVHeaders must be an array of strings when CSVHeaderLocation is GIVEN")
    else:
        headers = next(records, [])
    return rows_as_items(records, headers, limit)


def rows_as_items(records: Iterator[list[str]], headers: list[str], limit: int = 0) -> list:
    if len(set(headers)) != len(headers):
        raise failed(DUPLICATE_HEADERS)
    items = []
    for row in records:
        if limit and len(items) >= limit:
            break
        items.append({h: row[i] if i < len(row) else "" for i, h in enumerate(headers)})
    return items


def csv_records(text: str, delimiter: str = ",") -> Iterator[list[str]]:
    """Split text into records of fields, the way Step Functions reads delimited files.

    Newlines end records unless quoted; a ``"`` opens or closes a quoted part; ``""``
    is a literal quote (except where it opens and closes an empty quoted field); a
    backslash makes the next character literal (before a character other than a
    backslash, a quote or the delimiter it just disappears). Empty lines are skipped."""
    reader = _CsvState()
    i, n = 0, len(text)
    while i < n:
        c, nxt = text[i], text[i + 1] if i + 1 < n else ""
        i += reader.step(c, nxt, delimiter)
        if reader.done is not None:
            yield reader.done
            reader.done = None
    if reader.seen:
        yield reader.row + [reader.take()]


class _CsvState:
    """The tokenizer's state between characters."""

    def __init__(self) -> None:
        self.row: list[str] = []
        self.field: list[str] = []
        self.quoted = False
        self.fresh = True  # nothing read yet of the current field
        self.seen = False  # anything read yet of the current record
        self.done: list[str] | None = None

    def take(self) -> str:
        value, self.field, self.fresh = "".join(self.field), [], True
        return value

    def step(self, c: str, nxt: str, delimiter: str) -> int:
        """Consume ``c`` (and maybe ``nxt``); how many characters were used."""
        used = 1
        if c == "\\":
            self.field.append(nxt)
            used = 2
        elif c == '"':
            used = self._quote(nxt)
        elif self.quoted:
            self.field.append(c)
        elif c == delimiter:
            self.row.append(self.take())
            self.seen = True
            return 1
        elif c == "\n" or (c == "\r" and nxt == "\n"):
            if self.seen:
                self.done = self.row + [self.take()]
            self.row, self.field, self.fresh, self.seen = [], [], True, False
            return 1 if c == "\n" else 2
        else:
            self.field.append(c)
        self.fresh, self.seen = False, True
        return used

    def _quote(self, nxt: str) -> int:
        if not self.fresh and nxt == '"':
            self.field.append('"')
            return 2
        self.quoted = not self.quoted
        return 1


# -- manifests -------------------------------------------------------------------------------
def _inventory(body: Any, key: str, ex: Any, limit: int) -> SimProcess:
    """An S3 inventory manifest.json: the rows of its CSV files, keyed by its fileSchema."""
    manifest = _manifest_json(text_of(body, key))
    if manifest.get("fileFormat", "CSV") != "CSV":
        raise failed("Only S3 inventory reports in CSV format are supported")
    bucket = str(manifest.get("destinationBucket", "")).rpartition(":::")[2]
    headers = [h.strip() for h in str(manifest.get("fileSchema", "")).split(",")]
    items: list = []
    for entry in manifest.get("files") or []:
        data = yield from ex.ports.s3_get_object(bucket, entry["key"])
        rows = csv_records(text_of(data, entry["key"]))
        items += rows_as_items(rows, headers, limit - len(items) if limit else 0)
        if limit and len(items) >= limit:
            break
    return items


def _manifest_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("files", []), list):
        raise failed("The S3 inventory manifest is not valid")
    return value


def _athena(body: Any, key: str, config: dict, ex: Any, limit: int) -> SimProcess:
    """An Athena UNLOAD manifest: one s3:// URI a line, each file read with InputType."""
    items: list = []
    for line in text_of(body, key).splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*s3://([^/]+)/(.+?)\s*", line)
        if match is None:
            raise failed(f"The Athena manifest line is not an S3 URI: {line}")
        data = yield from ex.ports.s3_get_object(match.group(1), match.group(2))
        items += parse(text_of(data, match.group(2)), config, limit - len(items) if limit else 0)
        if limit and len(items) >= limit:
            break
    return items


# -- s3:listObjectsV2 ------------------------------------------------------------------------
def _list_objects(config: dict, params: dict, ex: Any, limit: int) -> SimProcess:
    bucket, prefix = params["Bucket"], params.get("Prefix") or ""
    listed = yield from ex.ports.s3_list_objects(bucket, prefix)
    entries = sorted((object_entry(o) for o in listed), key=lambda e: e["Key"])
    entries = [e for e in entries if e["Key"].startswith(prefix)]
    if config.get("Transformation", "NONE") != "LOAD_AND_FLATTEN":
        return entries
    items: list = []
    for entry in entries:
        data = yield from ex.ports.s3_get_object(bucket, entry["Key"])
        items += parse(text_of(data, entry["Key"]), config, limit - len(items) if limit else 0)
        if limit and len(items) >= limit:
            break
    return items


def object_entry(obj: dict) -> dict:
    """One listed object as the Map sees it (the shape of AWS's documented example)."""
    return {
        "Etag": obj.get("Etag", obj.get("ETag", "")),
        "Key": obj["Key"],
        "LastModified": _epoch_seconds(obj.get("LastModified", 0)),
        "Size": int(obj.get("Size", 0)),
        "StorageClass": obj.get("StorageClass", "STANDARD"),
    }


def _epoch_seconds(value: Any) -> int:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return int(aware.timestamp())
    return int(value)
