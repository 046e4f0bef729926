"""The distributed Map's ItemReader (sim.asl.itemreader), against a fake S3 port."""

from __future__ import annotations

import gzip
import json
import types
from datetime import datetime, timezone

import pytest

from sim.asl import itemreader
from sim.asl.env import Env, Variables
from sim.asl.errors import StatesError
from sim.asl.machine import compile_machine

FAILED = "States.ItemReaderFailed"


class FakePorts:
    """s3_get_object / s3_list_objects as SimProcess bodies over a dict of objects."""

    def __init__(self, objects: dict, listing: list | None = None) -> None:
        self.objects = objects
        self.listing = listing
        self.calls: list = []

    def s3_get_object(self, bucket, key):
        self.calls.append(("get", bucket, key))
        yield "tick"
        if (bucket, key) not in self.objects:
            raise StatesError("S3.NoSuchKey", "The specified key does not exist.")
        return self.objects[(bucket, key)]

    def s3_list_objects(self, bucket, prefix):
        self.calls.append(("list", bucket, prefix))
        yield "tick"
        return list(self.listing or [])


def drive(gen):
    """Run a SimProcess body to completion outside SimPy (the fake ports only yield tokens)."""
    value = None
    try:
        while True:
            gen.send(value)
    except StopIteration as stop:
        return stop.value


def map_state(reader: dict, ql: str = "JSONPath", **extra):
    definition = {"QueryLanguage": ql, "StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemReader": reader, "End": True, **extra,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    return compile_machine(definition).states["M"]


def get_reader(config: dict, key: str = "data") -> dict:
    return {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
            "Parameters": {"Bucket": "bucket-1", "Key": key}}


def read(reader: dict, objects: dict | None = None, doc=None, listing=None, ql="JSONPath",
         variables: dict | None = None, **extra):
    state = map_state(reader, ql, **extra)
    env = Env({"Execution": {"Input": doc}}, Variables(values=dict(variables or {})))
    states = {"input": doc, "context": env.context} if ql == "JSONata" else None
    ports = FakePorts(objects or {}, listing)
    return drive(itemreader.read(state, doc, states, env, types.SimpleNamespace(ports=ports)))


def read_body(config: dict, body, **kw):
    return read(get_reader(config), {("bucket-1", "data"): body}, doc={}, **kw)


def fails(error: str, fn, *args, **kw) -> StatesError:
    with pytest.raises(StatesError) as info:
        fn(*args, **kw)
    assert info.value.error == error
    return info.value


# -- JSON ------------------------------------------------------------------------------------
def test_json_array_with_parameters_from_the_input():
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
              "Parameters": {"Bucket.$": "$.b", "Key.$": "$.k"}}
    items = read(reader, {("bkt", "f.json"): '[{"a": 1}, "x", [2]]'}, doc={"b": "bkt", "k": "f.json"})
    assert items == [{"a": 1}, "x", [2]]


def test_json_items_path_of_the_map_is_not_applied_to_the_file():
    items = read(get_reader({"InputType": "JSON"}), {("bucket-1", "data"): '[["x"]]'}, doc={},
                 ItemsPath="$[0]")
    assert items == [["x"]]


def test_json_items_pointer_selects_a_nested_array():
    body = json.dumps({"inventory": {"a/b": [1, 2], "list": [{"p": [3, 4]}]}})
    assert read_body({"InputType": "JSON", "ItemsPointer": "/inventory/a~1b"}, body) == [1, 2]
    assert read_body({"InputType": "JSON", "ItemsPointer": "/inventory/list/0/p"}, body) == [3, 4]


def test_json_items_pointer_that_matches_nothing_fails():
    err = fails(FAILED, read_body, {"InputType": "JSON", "ItemsPointer": "/missing"}, '{"a": []}')
    assert err.cause == itemreader.POINTER_MISS


@pytest.mark.parametrize("body", ['{"Hello": "world"}', '"text"', "3"])
def test_json_that_is_not_an_array_fails(body):
    err = fails(FAILED, read_body, {"InputType": "JSON"}, body)
    assert err.cause == "Attempting to map over non-iterable node."
    assert not err.located


def test_json_that_does_not_parse_fails():
    fails(FAILED, read_body, {"InputType": "JSON"}, "not-json")


# -- JSON Lines ------------------------------------------------------------------------------
def test_jsonl_one_item_a_line_blank_lines_skipped():
    assert read_body({"InputType": "JSONL"}, '{"a": 1}\n\n  \n[2]\r\n"s"\n') == [{"a": 1}, [2], "s"]


def test_jsonl_bad_line_fails():
    err = fails(FAILED, read_body, {"InputType": "JSONL"}, '{"a": 1}\nnot-json\n')
    assert "line 2" in err.cause


# -- CSV -------------------------------------------------------------------------------------
def test_csv_first_row_headers_missing_fields_empty_extra_fields_dropped():
    body = "H1,\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"
    assert read_body({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}, body) == [
        {"H1": "Value4", "": "Value5"}, {"H1": "", "": ""}, {"H1": "true", "": "1"},
        {"H1": "Null", "": "None"}, {"H1": "   ", "": ""}]


def test_csv_header_location_defaults_to_first_row():
    assert read_body({"InputType": "CSV"}, "a,b\n1,2") == [{"a": "1", "b": "2"}]


def test_csv_given_headers_read_every_row_as_strings():
    config = {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1", "H2", "H3"]}
    assert read_body(config, "1,true,{}\nx\n") == [{"H1": "1", "H2": "true", "H3": "{}"},
                                                     {"H1": "x", "H2": "", "H3": ""}]


@pytest.mark.parametrize("name,sep", [("COMMA", ","), ("PIPE", "|"), ("SEMICOLON", ";"),
                                      ("SPACE", " "), ("TAB", "\t")])
def test_csv_delimiters(name, sep):
    body = f"a{sep}b\n1{sep}2,3\n" if sep != "," else "a,b\n1,2\n"
    expected_b = "2,3" if sep != "," else "2"
    assert read_body({"InputType": "CSV", "CSVDelimiter": name}, body) == [{"a": "1", "b": expected_b}]


def test_csv_quotes_doubled_quotes_and_quoted_newlines():
    body = ('abc,123,"commas, a quote (""), and a newline (\n)",{""MyKey"":""MyValue""},"[1,2,3]",""\n')
    config = {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["l", "n", "s", "o", "a", "e"]}
    assert read_body(config, body) == [{"l": "abc", "n": "123", "s": 'commas, a quote ("), and a newline (\n)',
                                        "o": '{"MyKey":"MyValue"}', "a": "[1,2,3]", "e": ""}]


def test_csv_backslash_escapes():
    body = 'path,note\nC:\\\\Apps\\\\x.exe,a\\"q\\" w\nsecond\\,field,drop\\zped\n'
    assert read_body({"InputType": "CSV"}, body) == [
        {"path": "C:\\Apps\\x.exe", "note": 'a"q" w'}, {"path": "second,field", "note": "dropzped"}]


def test_csv_empty_lines_and_crlf():
    assert read_body({"InputType": "CSV"}, "a,b\r\n\r\n1,2\r\n\n3,4") == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


@pytest.mark.parametrize("config,body", [
    ({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1", "H1", "H3"]}, "1,2,3\n"),
    ({"InputType": "CSV"}, "a,a\n1,2\n"),
])
def test_csv_duplicate_headers_fail(config, body):
    assert fails(FAILED, read_body, config, body).cause == "CSV headers cannot contain duplicates."


def test_csv_unknown_delimiter_fails():
    fails(FAILED, read_body, {"InputType": "CSV", "CSVDelimiter": "COLON"}, "a:b\n")


def test_gzip_bodies_are_inflated():
    body = gzip.compress(b"a,b\n1,2\n")
    assert read_body({"InputType": "CSV"}, body) == [{"a": "1", "b": "2"}]
    assert read_body({"InputType": "CSV"}, body.decode("latin-1")) == [{"a": "1", "b": "2"}]


# -- MaxItems / MaxItemsPath -----------------------------------------------------------------
CSV5 = "c\n1\n2\n3\n4\n5\n"


@pytest.mark.parametrize("limit,count", [(2, 2), (0, 5), (100_000_000, 5)])
def test_max_items(limit, count):
    assert len(read_body({"InputType": "CSV", "MaxItems": limit}, CSV5)) == count


@pytest.mark.parametrize("value,count", [(2, 2), (0, 5), (100_000_001, 5), ("3", 3), (2.0, 2)])
def test_max_items_path(value, count):
    reader = get_reader({"InputType": "CSV", "MaxItemsPath": "$.n"})
    assert len(read(reader, {("bucket-1", "data"): CSV5}, doc={"n": value})) == count


def test_max_items_path_above_the_limit_is_clipped():
    state = map_state(get_reader({"InputType": "CSV", "MaxItemsPath": "$.n"}))
    config = state.raw["ItemReader"]["ReaderConfig"]
    assert itemreader.max_items(state, config, {"n": 100_000_001}, None, Env({})) == 100_000_000


def test_max_items_path_reads_a_variable():
    reader = get_reader({"InputType": "JSON", "MaxItemsPath": "$maxItems"})
    items = read(reader, {("bucket-1", "data"): "[1, 2, 3]"}, doc={}, variables={"maxItems": "2"})
    assert items == [1, 2]


def test_max_items_path_negative_fails():
    reader = get_reader({"InputType": "CSV", "MaxItemsPath": "$.n"})
    err = fails(FAILED, read, reader, {("bucket-1", "data"): CSV5}, doc={"n": -1})
    assert err.cause == "field MaxItems must be positive"


@pytest.mark.parametrize("value,shown", [(1.5, "1.5"), ("x", "x"), (True, "true")])
def test_max_items_path_not_an_integer_fails(value, shown):
    reader = get_reader({"InputType": "CSV", "MaxItemsPath": "$.n"})
    err = fails("States.Runtime", read, reader, {("bucket-1", "data"): CSV5}, doc={"n": value})
    assert err.cause == f'The MaxItemsPath field refers to value "{shown}" which is not a valid integer: $.n'


def test_jsonata_arguments_and_max_items_expression():
    reader = {"Resource": "arn:aws:states:::s3:getObject",
              "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.n %}"},
              "Arguments": {"Bucket": "{% $states.input.b %}", "Key": "k"}}
    items = read(reader, {("bkt", "k"): "[1, 2, 3]"}, doc={"b": "bkt", "n": 2}, ql="JSONata")
    assert items == [1, 2]


# -- manifests -------------------------------------------------------------------------------
def test_s3_inventory_manifest():
    manifest = {"sourceBucket": "src", "destinationBucket": "arn:aws:s3:::inv", "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size, LastModifiedDate",
                "files": [{"key": "data/one.csv.gz"}, {"key": "data/two.csv"}]}
    objects = {("bucket-1", "manifest.json"): json.dumps(manifest),
               ("inv", "data/one.csv.gz"): gzip.compress(b'"src","a.csv","3","2022-11-16T00:29:32.000Z"\n'),
               ("inv", "data/two.csv"): '"src","dir/","0","2022-11-15T20:00:44.000Z"\n'}
    items = read(get_reader({"InputType": "MANIFEST"}, key="manifest.json"), objects, doc={})
    assert items == [{"Bucket": "src", "Key": "a.csv", "Size": "3", "LastModifiedDate": "2022-11-16T00:29:32.000Z"},
                     {"Bucket": "src", "Key": "dir/", "Size": "0", "LastModifiedDate": "2022-11-15T20:00:44.000Z"}]


def test_s3_inventory_manifest_type_and_max_items():
    manifest = {"destinationBucket": "arn:aws:s3:::inv", "fileSchema": "Key", "files": [{"key": "f"}, {"key": "g"}]}
    objects = {("bucket-1", "m"): json.dumps(manifest), ("inv", "f"): "a\nb\n", ("inv", "g"): "c\n"}
    assert read(get_reader({"ManifestType": "S3_INVENTORY", "MaxItems": 2}, key="m"), objects, doc={}) == [
        {"Key": "a"}, {"Key": "b"}]


def test_invalid_inventory_manifest_fails():
    fails(FAILED, read, get_reader({"InputType": "MANIFEST"}), {("bucket-1", "data"): "[]"}, doc={})


def test_athena_manifest_reads_each_listed_file():
    objects = {("bucket-1", "data"): "s3://out/1.jsonl\n\ns3://out/2.jsonl\n",
               ("out", "1.jsonl"): '{"a": 1}\n', ("out", "2.jsonl"): '{"a": 2}\n{"a": 3}\n'}
    config = {"ManifestType": "ATHENA_DATA", "InputType": "JSONL"}
    assert read(get_reader(config), objects, doc={}) == [{"a": 1}, {"a": 2}, {"a": 3}]


# -- s3:listObjectsV2 ------------------------------------------------------------------------
LIST_READER = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": "p/"}}


def test_list_objects_v2_items():
    listing = [
        {"Key": "p/2.txt", "ETag": '"e2"', "Size": 12, "StorageClass": "STANDARD",
         "LastModified": datetime(2022, 11, 17, 15, 44, 41, tzinfo=timezone.utc)},
        {"Key": "p/1.txt", "Etag": '"e1"', "Size": 5, "LastModified": 1668699881},
        {"Key": "other", "Etag": '"e3"', "Size": 1, "LastModified": "2022-11-17T15:44:41Z"},
    ]
    assert read(LIST_READER, doc={}, listing=listing) == [
        {"Etag": '"e1"', "Key": "p/1.txt", "LastModified": 1668699881, "Size": 5, "StorageClass": "STANDARD"},
        {"Etag": '"e2"', "Key": "p/2.txt", "LastModified": 1668699881, "Size": 12, "StorageClass": "STANDARD"}]


def test_list_objects_v2_load_and_flatten():
    reader = {**LIST_READER, "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"}}
    listing = [{"Key": "p/a", "Size": 3}, {"Key": "p/b", "Size": 3}]
    objects = {("b", "p/a"): "[1, 2]", ("b", "p/b"): "[3]"}
    assert read(reader, objects, doc={}, listing=listing) == [1, 2, 3]


def test_list_objects_v2_max_items():
    listing = [{"Key": f"p/{i}"} for i in range(5)]
    reader = {**LIST_READER, "ReaderConfig": {"MaxItems": 2}}
    assert [e["Key"] for e in read(reader, doc={}, listing=listing)] == ["p/0", "p/1"]


# -- other failures --------------------------------------------------------------------------
def test_s3_errors_pass_through():
    err = fails("S3.NoSuchKey", read, get_reader({"InputType": "JSON"}), {}, doc={})
    assert err.cause == "The specified key does not exist."


def test_unsupported_resource_fails():
    reader = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Key": "k"}}
    fails(FAILED, read, reader, doc={})


def test_missing_bucket_fails():
    fails(FAILED, read, {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {}}, doc={})


def test_parquet_is_refused():
    fails(FAILED, read_body, {"InputType": "PARQUET"}, "PAR1")
