"""EventBridge event patterns: validation, matching, and a cross-check against moto.

Doc short names (see sim/services/events/pattern.py for the full list):
[syntax] eb-create-pattern / eb-event-patterns.md, [arrays] eb-event-patterns-arrays.md,
[nulls] eb-event-patterns-null-values.md, [operators] eb-create-pattern-operators /
eb-event-patterns-content-based-filtering.md, [ruler] aws/event-ruler (EventBridge's
open-source matcher, used where the docs are silent).
"""

from __future__ import annotations

import copy
import json

import pytest
from moto.events.models import EventPattern

from sim.errors import InvalidEventPatternException, ValidationException
from sim.services.events.pattern import matches, validate_pattern

EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Order Placed",
    "source": "com.shop.orders",
    "account": "123456789012",
    "time": "2024-03-10T14:05:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:s3:::bucket-a", "arn:aws:s3:::bucket-b"],
    "detail": {
        "state": "running",
        "amount": 250,
        "price": 301.8,
        "qty": 0,
        "big": 300,
        "huge": 2000000000,
        "flag": True,
        "note": None,
        "empty": "",
        "count_str": "5",
        "tags": ["red", "blue"],
        "none": [],
        "ip": "10.0.0.33",
        "ipv6": "2001:db8::1",
        "file": "photos/cat.PNG",
        "path": "/usr/lib/x",
        "star": "a*b",
        "axb": "axb",
        "customer": {"tier": "gold", "country": "DE"},
        "items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 3}],
        "nested": {"c1": 100},
    },
}


def D(**fields):  # noqa: N802 - shorthand for a pattern on "detail"
    return {"detail": fields}


# (name, pattern, expected answer per AWS docs) -- all against EVENT.
CORPUS = [
    # exact values, envelope, AND/OR [syntax]
    ("exact_source", {"source": ["com.shop.orders"]}, True),
    ("exact_source_miss", {"source": ["aws.ec2"]}, False),
    ("exact_or_values", {"source": ["aws.ec2", "com.shop.orders"]}, True),
    ("exact_case_sensitive", {"source": ["COM.SHOP.ORDERS"]}, False),
    ("envelope_fields_and", {"source": ["com.shop.orders"], "detail-type": ["Order Placed"],
                             "account": ["123456789012"], "region": ["us-east-1"]}, True),
    ("envelope_and_one_fails", {"source": ["com.shop.orders"], "region": ["eu-west-1"]}, False),
    ("nested_object", D(customer={"tier": ["gold"]}), True),
    ("nested_object_miss", D(customer={"tier": ["silver"]}), False),
    ("missing_field", D(missing=["x"]), False),
    ("pattern_nests_below_leaf", D(state={"x": ["running"]}), False),
    ("number_exact", D(amount=[250]), True),
    ("number_exact_miss", D(amount=[251]), False),
    ("number_vs_string", D(count_str=[5]), False),
    ("string_vs_number", D(amount=["250"]), False),
    ("number_int_vs_float", D(big=[300.0]), False),
    ("float_exact", D(price=[301.8]), True),
    ("bool_true", D(flag=[True]), True),
    ("bool_false_miss", D(flag=[False]), False),
    ("bool_vs_number", D(flag=[1]), False),
    ("null_value", D(note=[None]), True),
    ("null_is_not_empty", D(note=[""]), False),
    ("empty_is_not_null", D(empty=[None]), False),
    ("empty_string", D(empty=[""]), True),
    # arrays [arrays]
    ("resources_intersect", {"resources": ["arn:aws:s3:::bucket-b", "arn:x"]}, True),
    ("resources_disjoint", {"resources": ["arn:x", "arn:y"]}, False),
    ("array_scalar_any", D(tags=["blue"]), True),
    ("array_scalar_none", D(tags=["green"]), False),
    ("array_of_objects", D(items={"sku": ["B"]}), True),
    ("array_of_objects_same_element", D(items={"sku": ["B"], "qty": [3]}), True),
    ("array_of_objects_mixed_elements", D(items={"sku": ["A"], "qty": [3]}), False),
    # prefix / suffix [operators]
    ("prefix", {"time": [{"prefix": "2024-03-10"}]}, True),
    ("prefix_miss", {"time": [{"prefix": "2017"}]}, False),
    ("prefix_on_number", D(amount=[{"prefix": "2"}]), False),
    ("prefix_ignore_case", D(file=[{"prefix": {"equals-ignore-case": "PHOTOS/"}}]), True),
    ("prefix_ignore_case_miss", D(file=[{"prefix": {"equals-ignore-case": "VIDEOS/"}}]), False),
    ("suffix", D(file=[{"suffix": ".PNG"}]), True),
    ("suffix_case_sensitive", D(file=[{"suffix": ".png"}]), False),
    ("suffix_ignore_case", D(file=[{"suffix": {"equals-ignore-case": ".png"}}]), True),
    # equals-ignore-case
    ("eic", {"source": [{"equals-ignore-case": "COM.Shop.Orders"}]}, True),
    ("eic_miss", {"source": [{"equals-ignore-case": "com.shop"}]}, False),
    ("eic_array_element", D(tags=[{"equals-ignore-case": "RED"}]), True),
    # anything-but
    ("ab_string", D(state=[{"anything-but": "stopped"}]), True),
    ("ab_string_excluded", D(state=[{"anything-but": "running"}]), False),
    ("ab_list_excluded", D(state=[{"anything-but": ["stopped", "running"]}]), False),
    ("ab_numbers", D(amount=[{"anything-but": [100, 200]}]), True),
    ("ab_numbers_excluded", D(amount=[{"anything-but": [250, 300]}]), False),
    ("ab_missing_field", D(missing=[{"anything-but": "x"}]), False),
    ("ab_null_value", D(note=[{"anything-but": "x"}]), True),
    ("ab_array_some_element", D(tags=[{"anything-but": "red"}]), True),
    ("ab_number_vs_bool", D(flag=[{"anything-but": [1]}]), True),
    ("ab_prefix", {"source": [{"anything-but": {"prefix": "aws."}}]}, True),
    ("ab_prefix_excluded", {"source": [{"anything-but": {"prefix": "com."}}]}, False),
    ("ab_prefix_on_number", D(amount=[{"anything-but": {"prefix": "2"}}]), True),
    ("ab_suffix_excluded", D(file=[{"anything-but": {"suffix": ".PNG"}}]), False),
    ("ab_suffix_list", D(file=[{"anything-but": {"suffix": [".jpg", ".gif"]}}]), True),
    ("ab_eic_excluded", D(state=[{"anything-but": {"equals-ignore-case": "RUNNING"}}]), False),
    ("ab_eic_list", D(state=[{"anything-but": {"equals-ignore-case": ["STOPPED", "X"]}}]), True),
    ("ab_wildcard_excluded", D(path=[{"anything-but": {"wildcard": "*/lib/*"}}]), False),
    ("ab_wildcard", D(path=[{"anything-but": {"wildcard": "*/bin/*"}}]), True),
    # numeric
    ("numeric_range", D(amount=[{"numeric": [">", 0, "<=", 250]}]), True),
    ("numeric_gt_miss", D(amount=[{"numeric": [">", 250]}]), False),
    ("numeric_eq_exponent", D(price=[{"numeric": ["=", 3.018e2]}]), True),
    ("numeric_lt_zero", D(qty=[{"numeric": ["<", 10]}]), True),
    ("numeric_ge_lt", D(amount=[{"numeric": [">=", 250, "<", 251]}]), True),
    ("numeric_on_string", D(count_str=[{"numeric": ["=", 5]}]), False),
    ("numeric_on_bool", D(flag=[{"numeric": ["=", 1]}]), False),
    ("numeric_in_array_of_objects", D(items={"qty": [{"numeric": [">", 2]}]}), True),
    ("numeric_beyond_limit", D(huge=[{"numeric": [">", 0]}]), False),
    # exists [operators]
    ("exists_true", D(state=[{"exists": True}]), True),
    ("exists_true_missing", D(missing=[{"exists": True}]), False),
    ("exists_false_missing", D(missing=[{"exists": False}]), True),
    ("exists_false_present", D(state=[{"exists": False}]), False),
    ("exists_true_null", D(note=[{"exists": True}]), True),
    ("exists_false_null", D(note=[{"exists": False}]), False),
    ("exists_false_intermediate", D(nested=[{"exists": False}]), True),
    ("exists_true_intermediate", D(nested=[{"exists": True}]), False),
    ("exists_false_missing_parent", {"nothere": {"x": [{"exists": False}]}}, True),
    ("exists_false_in_array_elements", D(items={"sku": [{"exists": False}]}), False),
    ("exists_true_empty_array", D(none=[{"exists": True}]), False),
    # wildcard
    ("wildcard", D(file=[{"wildcard": "photos/*.PNG"}]), True),
    ("wildcard_miss", D(file=[{"wildcard": "videos/*"}]), False),
    ("wildcard_escaped_star", D(star=[{"wildcard": "a\\*b"}]), True),
    ("wildcard_escaped_star_miss", D(axb=[{"wildcard": "a\\*b"}]), False),
    ("wildcard_several", {"source": [{"wildcard": "com.*.ord*"}]}, True),
    ("wildcard_star_matches_empty", {"source": [{"wildcard": "com.shop.orders*"}]}, True),
    # cidr
    ("cidr_v4", D(ip=[{"cidr": "10.0.0.0/24"}]), True),
    ("cidr_v4_miss", D(ip=[{"cidr": "10.0.1.0/24"}]), False),
    ("cidr_v6", D(ipv6=[{"cidr": "2001:db8::/32"}]), True),
    ("cidr_not_an_ip", D(state=[{"cidr": "10.0.0.0/8"}]), False),
    # $or
    ("or_second_branch", {"$or": [{"source": ["aws.ec2"]}, D(state=["running"])]}, True),
    ("or_no_branch", {"$or": [{"source": ["aws.ec2"]}, {"source": ["aws.s3"]}]}, False),
    ("or_inside_detail", D(**{"$or": [{"amount": [{"numeric": [">", 1000]}]},
                                      {"customer": {"country": ["DE"]}}]}), True),
    ("or_and_outer_field", {"source": ["com.shop.orders"],
                            "$or": [D(state=["stopped"]), D(flag=[False])]}, False),
    ("values_mix_operators", D(state=["stopped", {"prefix": "run"}]), True),
    ("complex_doc_example", {"time": [{"prefix": "2024-03-10"}],
                             "detail": {"state": [{"anything-but": "initializing"}],
                                        "amount": [{"numeric": [">", 0, "<=", 500]}],
                                        "tags": [{"anything-but": ["x", "y"]}]}}, True),
]

# Pairs where moto 5.2.5 answers differently from AWS's documented behaviour; ours follows AWS.
KNOWN_MOTO_DIFFERENCES = {
    # [syntax] "For numbers, EventBridge uses string representation. For example, 300,
    # 300.0, and 3.0e2 are not considered equal." moto compares with Python ==.
    "number_int_vs_float": "[syntax] numbers match by string representation",
    # [syntax] values follow JSON rules (true is not the number 1); moto uses True == 1.
    "bool_vs_number": "[syntax] JSON true is not the number 1",
    "ab_number_vs_bool": "[syntax] JSON true is not the number 1",
    # [operators] "Numeric matching works with values that are JSON numbers"; moto treats
    # Python's bool (an int subclass) as a number.
    "numeric_on_bool": "[operators] numeric matching needs a JSON number",
    # [operators] numeric matching "is limited to values between -1.0e9 and +1.0e9".
    "numeric_beyond_limit": "[operators] numeric range limit",
    # [arrays] + [ruler] README "JSON Array Matching": arrays in the event are crushed
    # out, objects inside arrays are matched element by element; moto's flattener stops
    # at lists, so it never sees fields inside arrays of objects.
    "array_of_objects": "[arrays] fields inside arrays of objects",
    "array_of_objects_same_element": "[arrays] fields inside arrays of objects",
    "numeric_in_array_of_objects": "[arrays] fields inside arrays of objects",
    "exists_false_in_array_elements": "[arrays] the field exists (in some element)",
    # [operators] "Exists matching only works on leaf nodes": an empty array holds no
    # leaf value, so the field does not exist for matching ([ruler] flattening).
    "exists_true_empty_array": "[operators] exists works on leaf nodes only",
}


def moto_matches(pattern: dict, event: dict) -> bool:
    return EventPattern.load(json.dumps(pattern)).matches_event(copy.deepcopy(event))


@pytest.mark.parametrize("name,pattern,expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_follows_aws(name, pattern, expected):
    assert validate_pattern(pattern) == pattern
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize("name,pattern,expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_against_moto(name, pattern, expected):
    ours, theirs = matches(pattern, EVENT), moto_matches(pattern, EVENT)
    if name in KNOWN_MOTO_DIFFERENCES:
        assert ours != theirs, f"{name}: moto now agrees; drop it from KNOWN_MOTO_DIFFERENCES"
    else:
        assert ours == theirs


def test_corpus_size_and_agreement_numbers(capsys):
    assert len(CORPUS) >= 60
    assert set(KNOWN_MOTO_DIFFERENCES) <= {c[0] for c in CORPUS}
    agree = sum(matches(p, EVENT) == moto_matches(p, EVENT) for _, p, _ in CORPUS)
    assert agree == len(CORPUS) - len(KNOWN_MOTO_DIFFERENCES)
    with capsys.disabled():
        print(f"\nmoto agreement: {agree}/{len(CORPUS)} pairs, "
              f"{len(KNOWN_MOTO_DIFFERENCES)} known differences (ours follows AWS)")


# ------------------------------------------------------------- one test per operator


def check(pattern: dict, event: dict) -> bool:
    return matches(validate_pattern(pattern), event)


def test_exact_string_number_null_boolean():
    event = {"detail": {"s": "x", "n": 5, "z": None, "b": False}}
    assert check({"detail": {"s": ["x"], "n": [5], "z": [None], "b": [False]}}, event)
    assert not check({"detail": {"s": ["X"]}}, event)
    assert not check({"detail": {"b": [0]}}, event)


def test_value_list_is_or_and_fields_are_and():
    event = {"source": "a", "region": "r1"}
    assert check({"source": ["b", "a"], "region": ["r1"]}, event)
    assert not check({"source": ["b", "a"], "region": ["r2"]}, event)


def test_event_arrays_match_any_element_and_stay_consistent():
    event = {"d": {"xs": [1, 2], "e": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}}
    assert check({"d": {"xs": [2]}}, event)
    assert check({"d": {"e": {"a": [3], "b": [4]}}}, event)
    assert not check({"d": {"e": {"a": [1], "b": [4]}}}, event)  # different elements
    nested = {"m": [[{"k": "v"}], [{"k": "w"}]]}
    assert check({"m": {"k": ["w"]}}, nested)


def test_prefix_and_prefix_ignore_case():
    event = {"region": "eu-west-1"}
    assert check({"region": [{"prefix": "eu-"}]}, event)
    assert not check({"region": [{"prefix": "us-"}]}, event)
    assert check({"region": [{"prefix": {"equals-ignore-case": "EU-"}}]}, event)
    assert not check({"region": [{"prefix": {"equals-ignore-case": "US-"}}]}, event)


def test_suffix_and_suffix_ignore_case():
    event = {"f": "a.PNG"}
    assert check({"f": [{"suffix": ".PNG"}]}, event)
    assert not check({"f": [{"suffix": ".png"}]}, event)
    assert check({"f": [{"suffix": {"equals-ignore-case": ".png"}}]}, event)
    assert not check({"f": [{"suffix": {"equals-ignore-case": ".jpg"}}]}, event)


def test_equals_ignore_case():
    assert check({"n": [{"equals-ignore-case": "alice"}]}, {"n": "ALICE"})
    assert not check({"n": [{"equals-ignore-case": "alice"}]}, {"n": "alicia"})
    assert not check({"n": [{"equals-ignore-case": "1"}]}, {"n": 1})


def test_anything_but_scalar_and_list():
    assert check({"s": [{"anything-but": "init"}]}, {"s": "run"})
    assert not check({"s": [{"anything-but": "init"}]}, {"s": "init"})
    assert check({"x": [{"anything-but": [100, 200]}]}, {"x": 150})
    assert not check({"x": [{"anything-but": [100, 200]}]}, {"x": 100.0})  # numeric compare
    assert not check({"s": [{"anything-but": "x"}]}, {})  # needs the field


def test_anything_but_with_prefix_suffix_wildcard_ignore_case():
    assert check({"s": [{"anything-but": {"prefix": "aws."}}]}, {"s": "my.app"})
    assert not check({"s": [{"anything-but": {"prefix": "aws."}}]}, {"s": "aws.ec2"})
    assert not check({"s": [{"anything-but": {"suffix": ".png"}}]}, {"s": "a.png"})
    assert not check({"s": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"s": "/a/lib/b"})
    assert check({"s": [{"anything-but": {"wildcard": ["*/lib/*", "*.so"]}}]}, {"s": "/a/b"})
    assert not check({"s": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]}, {"s": "B"})


def test_numeric_operators_and_ranges():
    event = {"v": 5}
    for expr, ok in [(["=", 5], True), (["<", 5], False), (["<=", 5], True),
                     ([">", 4.5], True), ([">=", 6], False), ([">", 0, "<=", 5], True),
                     ([">", 0, "<", 5], False), ([">=", 5, "<", 5.5], True)]:
        assert check({"v": [{"numeric": expr}]}, event) is ok, expr
    assert not check({"v": [{"numeric": ["=", 5]}]}, {"v": "5"})  # JSON numbers only


def test_exists_missing_null_present_and_arrays():
    p_true = {"d": {"k": [{"exists": True}]}}
    p_false = {"d": {"k": [{"exists": False}]}}
    assert check(p_false, {"d": {}}) and not check(p_true, {"d": {}})
    assert check(p_true, {"d": {"k": None}}) and not check(p_false, {"d": {"k": None}})
    assert check(p_true, {"d": {"k": 0}}) and not check(p_false, {"d": {"k": 0}})
    assert check(p_false, {"d": {"k": {"c1": 1}}})  # not a leaf: absent for matching
    assert check(p_false, {"d": {"k": []}})  # no leaf value in an empty array
    in_array = {"d": [{"k": 1}, {"j": 2}]}
    assert not check(p_false, in_array)  # present in some element
    assert check(p_false, {"d": [{"j": 1}, {"j": 2}]})


def test_exists_false_beside_array_fields_uses_chosen_element():
    # [ruler]: "exists": false is judged against fields of the element already matched
    # (fields are walked in sorted name order: "a" before "z").
    event = {"d": [{"a": 1, "z": 9}, {"a": 2}]}
    assert check({"d": {"a": [2], "z": [{"exists": False}]}}, event)
    assert not check({"d": {"a": [1], "z": [{"exists": False}]}}, event)


def test_wildcard_and_escapes():
    assert check({"f": [{"wildcard": "dir/*.png"}]}, {"f": "dir/a.png"})
    assert not check({"f": [{"wildcard": "dir/*.png"}]}, {"f": "dir/a.jpg"})
    assert check({"f": [{"wildcard": "a\\*b"}]}, {"f": "a*b"})
    assert not check({"f": [{"wildcard": "a\\*b"}]}, {"f": "axxb"})
    assert check({"f": [{"wildcard": "a\\\\b"}]}, {"f": "a\\b"})
    assert not check({"f": [{"wildcard": "*"}]}, {"f": 5})  # strings only


def test_cidr_v4_v6():
    assert check({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"})
    assert not check({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.0"})
    assert check({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:ffff::1"})
    assert not check({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "2001:db8::1"})


def test_or_at_top_and_nested():
    event = {"source": "s", "detail": {"a": 1, "b": 2}}
    assert check({"$or": [{"source": ["x"]}, {"detail": {"b": [2]}}]}, event)
    assert not check({"$or": [{"source": ["x"]}, {"detail": {"b": [3]}}]}, event)
    nested = {"detail": {"$or": [{"a": [9]}, {"$or": [{"b": [9]}, {"a": [1]}]}]}}
    assert check(nested, event)


def test_pattern_matches_whole_envelope():
    assert check({"account": ["123456789012"], "detail-type": ["Order Placed"],
                  "time": [{"prefix": "2024"}], "id": [{"exists": True}]}, EVENT)


def test_pattern_from_json_string():
    assert validate_pattern('{"source": ["a"]}') == {"source": ["a"]}


# ------------------------------------------------------------------------ validation

R = "Event pattern is not valid. Reason: "


@pytest.mark.parametrize("pattern,reason", [
    ("{}", "Empty objects are not allowed"),
    ('{"detail": {}}', "Empty objects are not allowed"),
    ("[1]", "Filter is not an object"),
    ("not json", "Invalid JSON"),
    ('{"source": "aws.ec2"}', '"source" must be an object or an array'),
    ('{"source": []}', "Empty arrays are not allowed"),
    ('{"source": [["a"]]}', "Match value must be String, number, true, false, or null"),
    ('{"a": [{}]}', "Match expression name not found"),
    ('{"a": [{"contains": "x"}]}', "Unrecognized match type contains"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"prefix": {"x": "y"}}]}', "Unsupported prefix pattern: x"),
    ('{"a": [{"suffix": {"equals-ignore-case": 1}}]}',
     "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"equals-ignore-case": ["x"]}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": []}]}', "Invalid member in numeric match: ]"),
    ('{"a": [{"numeric": [5]}]}', "Invalid member in numeric match: 5"),
    ('{"a": [{"numeric": ["!=", 5]}]}', "Unrecognized numeric range operator: !="),
    ('{"a": [{"numeric": ["=", "5"]}]}', "Value of equals must be numeric"),
    ('{"a": [{"numeric": ["<", 5, ">", 1]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 5, 6]}]}', "Bad value in numeric range: 6"),
    ('{"a": [{"numeric": [">", 5, ">", 6]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"numeric": [">", 5, "<", 1]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 0, "<", 5, "x"]}]}', "Too many terms in numeric range expression"),
    ('{"a": [{"numeric": [">", 1e10]}]}', "Value must be between -1.0E9 and 1.0E9, inclusive"),
    ('{"a": [{"numeric": ["=", 0.1234567]}]}', "Only values upto 6 decimals are supported"),
    ('{"a": [{"anything-but": true}]}',
     "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"anything-but": [1, "a"]}]}', "Inside anything but list, either all values are "
                                           "number or string, mixed type is not supported"),
    ('{"a": [{"anything-but": [null]}]}',
     "Inside anything but list, start|null|boolean is not supported."),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}', "Unsupported anything-but pattern: numeric"),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"prefix": 5}}]}', "prefix/suffix match pattern must be a string"),
    ('{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}',
     "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
    ('{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\b"}]}', "Invalid escape character at pos 2"),
    ('{"a": [{"anything-but": {"wildcard": "**"}}]}', "Consecutive wildcard characters at pos 1"),
    ('{"a": [{"cidr": 10}]}', "prefix match pattern must be a string"),
    ('{"a": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"),
    ('{"a": [{"cidr": "10.0.0.0/x"}]}', "Malformed CIDR, mask bits must be an integer"),
    ('{"a": [{"cidr": "10.0.0.300/8"}]}', "Invalid IP address: 10.0.0.300"),
    ('{"a": [{"cidr": "host.example/8"}]}', "Nonstandard IP address: host.example"),
    ('{"a": [{"cidr": "10.0.0.0/32"}]}', "IPv4 mask bits must be < 32"),
    ('{"$or": {"a": [1]}}', "It must be an Array followed with $or."),
    ('{"$or": [{"a": [1]}]}', "There must have at least 2 Objects in $or relationship."),
    ('{"$or": [{"a": [1]}, "b"]}', "Only JSON object is allowed in array of $or relationship."),
    ('{"$or": [{"a": [1]}, {"prefix": ["b"]}]}',
     "prefix is Ruler reserved fieldName which cannot be used inside $or."),
])
def test_invalid_patterns(pattern, reason):
    with pytest.raises(InvalidEventPatternException) as info:
        validate_pattern(pattern)
    assert info.value.message == R + reason
    assert info.value.code == "InvalidEventPatternException"


def test_pattern_size_limit():
    # [quota] 2,048 characters by default; adjustable (PutRule caps EventPattern at 4096).
    big = {"source": ["x" * 2100]}
    with pytest.raises(InvalidEventPatternException, match="longer than 2048"):
        validate_pattern(big)
    assert validate_pattern(big, max_length=4096) == big
    with pytest.raises(ValidationException, match="less than or equal to 4096"):
        validate_pattern({"source": ["z" * 5000]}, max_length=10_000)  # API maximum
    text = json.dumps({"source": ["y" * 2000]})
    assert len(text) > 2000 and validate_pattern(text)


def test_dict_and_string_inputs_validate_alike():
    with pytest.raises(InvalidEventPatternException):
        validate_pattern({"detail": {"a": 1}})
    assert validate_pattern({"detail": {"a": [1]}}) == {"detail": {"a": [1]}}
