"""In-process moto answers DynamoDB requests byte for byte as without the fast paths of sim/motofast.py
(kept expression parses and checks, direct copies and sizes, the JSON members looked up by key), errors
included, and none of what they keep is changed by what a caller does with what it is handed."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import boto3
import pytest
import time_machine
from botocore.exceptions import ClientError
from moto import mock_aws

from sim import motofast

KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}
ITEM = {**KEY, "n": {"N": "41.50"}, "flag": {"BOOL": True}, "nothing": {"NULL": True},
        "tags": {"SS": ["x", "y"]}, "nums": {"NS": ["1", "2.5"]}, "blobs": {"BS": [b"\x00", b"\x01"]},
        "bin": {"B": b"\x00\x01"}, "l": {"L": [{"S": "q"}, {"N": "3"}, {"M": {"deep": {"S": "d"}}}]},
        "m": {"M": {"inside": {"L": [{"S": "q"}, {"N": "3"}]}, "s": {"S": "é"}}}, "state": {"S": "WAITING"}}
UPDATE = "SET #s = :s, done_at = :t, n = n + :one REMOVE nothing"
CONDITION = "#s <> :done AND #s <> :failed"


def calls() -> list[tuple[str, dict]]:
    """DynamoDB requests that reach every fast path, the same expression texts again and again with
    other values, and each way an expression can fail."""
    t = "t"
    key2 = {"pk": {"S": "a"}, "sk": {"N": "2"}}
    out: list[tuple[str, dict]] = [
        ("put_item", dict(TableName=t, Item=ITEM)),
        ("put_item", dict(TableName=t, Item={**ITEM, "sk": {"N": "2"}}, ReturnValues="ALL_OLD")),
        ("put_item", dict(TableName=t, Item=ITEM, ConditionExpression="attribute_not_exists(pk)")),
        ("put_item", dict(TableName=t, Item={**ITEM, "sk": {"N": "3"}},
                          ConditionExpression="attribute_not_exists(pk)")),
        ("get_item", dict(TableName=t, Key=KEY)),
        ("get_item", dict(TableName=t, Key=KEY, ProjectionExpression="m.inside, n, l[2]")),
    ]
    for i, (state, value) in enumerate([("RUNNING", "x"), ("COMPLETED", "y"), ("FAILED", "z"), ("OTHER", "w")]):
        # the same texts with other values: the kept parse must take this request's values
        out.append(("update_item", dict(
            TableName=t, Key=KEY, UpdateExpression=UPDATE, ConditionExpression=CONDITION,
            ExpressionAttributeNames={"#s": "state"}, ReturnValues=["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW",
                                                                     "ALL_OLD"][i],
            ExpressionAttributeValues={":s": {"S": state}, ":t": {"S": value}, ":one": {"N": str(i + 1)},
                                       ":done": {"S": "COMPLETED"}, ":failed": {"S": "FAILED"}})))
        out.append(("update_item", dict(
            TableName=t, Key=KEY, UpdateExpression="SET #s = :s", ConditionExpression=CONDITION,
            ExpressionAttributeNames={"#s": "state"}, ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ExpressionAttributeValues={":s": {"S": "WAITING"}, ":done": {"S": state},
                                       ":failed": {"S": value}})))
    updates = [
        ("SET m.inside[1] = :v, l[0] = :v, m.added = :v", {":v": {"S": "nested"}}, None),
        ("SET m.inside[9] = :v", {":v": {"N": "7"}}, None),  # past the end: appended
        ("SET l = list_append(l, :more), again = list_append(:more, :more)", {":more": {"L": [{"S": "z"}]}}, None),
        ("SET l = list_append(:more, l)", {":more": {"L": [{"N": "0"}]}}, None),
        ("SET fresh = if_not_exists(fresh, :v), n = if_not_exists(n, :v)", {":v": {"N": "5"}}, None),
        ("SET n = n - :v", {":v": {"N": "0.25"}}, None),
        ("ADD n :v, tags :ss, newset :ns", {":v": {"N": "1"}, ":ss": {"SS": ["z"]}, ":ns": {"NS": ["3"]}}, None),
        ("DELETE tags :ss", {":ss": {"SS": ["x"]}}, None),
        ("REMOVE l[1], l[0], m.inside[0]", None, None),
        ("SET #a = :v REMOVE bin ADD tally :one DELETE nums :ns",
         {":v": {"S": "all"}, ":one": {"N": "1"}, ":ns": {"NS": ["1"]}}, {"#a": "a b"}),
        ("SET big = :big", {":big": {"S": "x" * 410_000}}, None),  # item size too large
        ("SET a = :v SET b = :v", {":v": {"S": "1"}}, None),  # two SET clauses
        ("SET a = :v, a = :w", {":v": {"S": "1"}, ":w": {"S": "2"}}, None),  # overlapping paths
        ("SET m.x = :v, m = :w", {":v": {"S": "1"}, ":w": {"S": "2"}}, None),
        ("SET #k = :v", {":v": {"S": "1"}}, {"#k": "other"}),
        ("SET #k = :v", {":v": {"S": "1"}}, {"#k": "pk"}),  # the same structure, now a key attribute
        ("SET #k = :v, #j = :v", {":v": {"S": "1"}}, {"#k": "x", "#j": "y"}),
        ("SET #k = :v, #j = :v", {":v": {"S": "1"}}, {"#k": "x", "#j": "x"}),  # now the same path twice
        ("SET sk = :v", {":v": {"N": "1"}}, None),
        ("SET status = :v", {":v": {"S": "1"}}, None),  # a reserved word
        ("SET a = :missing, b = :v", {":v": {"S": "1"}}, None),  # an undefined value
        ("SET #missing = :v", {":v": {"S": "1"}}, None),  # an undefined name
        ("SET a = :v", {":v": {"S": "1"}, ":unused": {"S": "2"}}, None),
        ("SET a = nosuch + :v", {":v": {"N": "1"}}, None),  # a path that is not there
        ("SET a = flag + :v", {":v": {"N": "1"}}, None),  # the wrong operand type
        ("SET a = list_append(n, :v)", {":v": {"L": []}}, None),
        ("SET n.x = :v", {":v": {"N": "1"}}, None),  # a document path into a number
        ("SET a = :v,", {":v": {"N": "1"}}, None),  # syntax errors
        ("SET = :v", {":v": {"N": "1"}}, None),
        ("FROB a :v", {":v": {"N": "1"}}, None),
        ("SET a = :v ADD", {":v": {"N": "1"}}, None),
        ("", {":v": {"N": "1"}}, None),
        ("SET m.inside[1] = :v, l[0] = :v, m.added = :v", {":v": {"M": {"again": {"BOOL": False}}}}, None),
        ("SET fresh = if_not_exists(fresh, :v), n = if_not_exists(n, :v)", {":v": {"S": "other"}}, None),
        ("SET n = n - :v", {":v": {"N": "-3"}}, None),
    ]
    for expression, values, tags in updates:
        request: dict = dict(TableName=t, Key=KEY, UpdateExpression=expression, ReturnValues="ALL_NEW")
        if values is not None:
            request["ExpressionAttributeValues"] = values
        if tags is not None:
            request["ExpressionAttributeNames"] = tags
        out.append(("update_item", request))
    out.append(("update_item", dict(TableName=t, Key={"pk": {"S": "new"}, "sk": {"N": "9"}},
                                    UpdateExpression="SET n = :v", ExpressionAttributeValues={":v": {"N": "1"}},
                                    ReturnValues="ALL_NEW")))  # an item made by the update
    conditions = [
        ("#s IN (:a, :b, :c)", {":a": {"S": "WAITING"}, ":b": {"S": "X"}, ":c": {"S": "Y"}}),
        ("n BETWEEN :lo AND :hi", {":lo": {"N": "0"}, ":hi": {"N": "100"}}),
        ("begins_with(#s, :p) OR size(l) > :n", {":p": {"S": "WA"}, ":n": {"N": "1"}}),
        ("NOT (attribute_exists(m.inside[0]) AND contains(tags, :v))", {":v": {"S": "y"}}),
        ("attribute_type(n, :t) AND (#s = :a)", {":t": {"S": "N"}, ":a": {"S": "WAITING"}}),
        ("#s IN (:a, :b, :c)", {":a": {"S": "A"}, ":b": {"S": "B"}, ":c": {"S": "C"}}),
        ("n BETWEEN :lo AND :hi", {":lo": {"N": "100"}, ":hi": {"N": "200"}}),
        ("#s = :missing", {":a": {"S": "A"}}),  # an undefined value
        ("#s = = :a", {":a": {"S": "A"}}),  # syntax errors
        ("((#s = :a))", {":a": {"S": "A"}}),
        ("#s IN :a", {":a": {"S": "A"}}),
        ("size = :a", {":a": {"S": "A"}}),  # a reserved word
        ("a.:v = :v", {":v": {"S": "A"}}),
    ]
    for expression, values in conditions:
        out.append(("update_item", dict(TableName=t, Key=KEY, UpdateExpression="SET touched = :touched",
                                        ConditionExpression=expression,
                                        ExpressionAttributeNames={"#s": "state"} if "#s" in expression else {},
                                        ExpressionAttributeValues={":touched": {"BOOL": True}, **values})))
        names = {"#s": "state"} if "#s" in expression else {}
        out.append(("delete_item", dict(TableName=t, Key=key2, ConditionExpression=expression,
                                        ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                                        ReturnValues="ALL_OLD")))
    out += [
        ("update_item", dict(TableName=t, Key=KEY, UpdateExpression="SET touched = :v",
                             ConditionExpression="#s = :a", ExpressionAttributeValues={":v": {"N": "1"}},
                             ExpressionAttributeNames={"#s": "state"})),  # :a not given at all
        ("update_item", dict(TableName=t, Key=KEY, UpdateExpression="SET touched = :v",
                             ConditionExpression="#nope = :v", ExpressionAttributeValues={":v": {"N": "1"}})),
        ("query", dict(TableName=t, KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
                       FilterExpression="#s = :s OR attribute_not_exists(#s)",
                       ExpressionAttributeNames={"#s": "state"},
                       ExpressionAttributeValues={":p": {"S": "a"}, ":lo": {"N": "0"}, ":hi": {"N": "9"},
                                                  ":s": {"S": "WAITING"}})),
        ("query", dict(TableName=t, KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
                       FilterExpression="#s = :s OR attribute_not_exists(#s)",
                       ExpressionAttributeNames={"#s": "state"},
                       ExpressionAttributeValues={":p": {"S": "a"}, ":lo": {"N": "2"}, ":hi": {"N": "3"},
                                                  ":s": {"S": "OTHER"}})),
        ("scan", dict(TableName=t, FilterExpression="n > :n", ExpressionAttributeValues={":n": {"N": "40"}})),
        ("scan", dict(TableName=t, FilterExpression="n > :n", ExpressionAttributeValues={":n": {"N": "4000"}})),
        ("scan", dict(TableName=t, FilterExpression="n >", ExpressionAttributeValues={":n": {"N": "1"}})),
        ("transact_write_items", dict(TransactItems=[
            {"Update": {"TableName": t, "Key": KEY, "UpdateExpression": UPDATE, "ConditionExpression": CONDITION,
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":s": {"S": "T"}, ":t": {"S": "t"}, ":one": {"N": "2"},
                                                      ":done": {"S": "D"}, ":failed": {"S": "F"}}}},
            {"Put": {"TableName": t, "Item": {**ITEM, "sk": {"N": "7"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}}])),
        ("transact_write_items", dict(TransactItems=[
            {"Update": {"TableName": t, "Key": KEY, "UpdateExpression": UPDATE, "ConditionExpression": CONDITION,
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":s": {"S": "T"}, ":t": {"S": "t"}, ":one": {"N": "2"},
                                                      ":done": {"S": "T"}, ":failed": {"S": "F"}}}}])),
        ("batch_write_item", dict(RequestItems={t: [{"PutRequest": {"Item": {**ITEM, "sk": {"N": "8"}}}},
                                                    {"DeleteRequest": {"Key": key2}}]})),
        ("batch_get_item", dict(RequestItems={t: {"Keys": [KEY, {"pk": {"S": "a"}, "sk": {"N": "8"}}]}})),
        ("put_item", dict(TableName=t, Item={**KEY, "big": {"S": "x" * 410_000}})),
        ("scan", dict(TableName=t)),
    ]
    return out


def dynamodb_answers() -> list[tuple]:
    """Status and raw body of every answer (errors too) to calls(), on a fresh in-process moto."""
    answers: list[tuple] = []
    with time_machine.travel(datetime(2026, 1, 14, 15, tzinfo=timezone.utc), tick=False), mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        client.meta.events.register("needs-retry.dynamodb.*", lambda response, **_kw: answers.append(
            (response[0].status_code, response[0].content)) if response else None)
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "N"}])
        for operation, request in calls():
            try:
                getattr(client, operation)(**request)
            except ClientError:
                pass
            except Exception as error:  # noqa: BLE001 - moto fails some requests with a KeyError of its own
                answers.append(("raised", type(error).__name__, str(error)))
    return answers


def both(run):
    """run() with the fast paths installed (twice: the second time from what the first kept) and not."""
    motofast.install()
    fast = [run(), run()]
    motofast.uninstall()
    try:
        plain = run()
    finally:
        motofast.install()
    return fast, plain


def test_dynamodb_answers_byte_for_byte_as_without_the_fast_paths():
    fast, plain = both(dynamodb_answers)
    assert fast[0] == plain and fast[1] == plain
    assert len(plain) == len(calls()) + 1
    statuses = [answer[0] for answer in plain]
    assert statuses.count(200) > 30 and statuses.count(400) > 30 and statuses.count("raised") > 5
    bodies = b"\n".join(answer[1] for answer in plain if answer[0] != "raised")
    for expected in (b"ConditionalCheckFailedException", b"Item size has exceeded", b"reserved keyword",
                     b"Two document paths overlap", b"Cannot update attribute pk", b"Syntax error",
                     b"An expression attribute value used in expression is not defined",
                     b"redundant parentheses", b'The \\"SET\\" section can only be used once',
                     b"Incorrect operand type", b"Value provided in ExpressionAttributeValues unused",
                     b"Transaction cancelled", b"The expression can not be empty"):
        assert expected in bodies, expected


def _tree(node, parent=None) -> object:
    """An UpdateExpression tree as plain data: classes, leaves, and whether every parent link is right."""
    from moto.dynamodb.parsing.ast_nodes import Node

    if not isinstance(node, Node):
        return node
    return (type(node).__name__, node.type, node.parent is parent,
            None if node.children is None else [_tree(child, node) for child in node.children])


EXPRESSIONS = ["SET a = :v", "SET #a.b[2].c = :v + :w, d = if_not_exists(d, :v) REMOVE x[1], x[0]",
               "ADD n :v DELETE s :w", "SET l = list_append(l, :v), m = :v - :w", "REMOVE a.b, c"]


def test_a_kept_parse_is_built_afresh_and_as_the_parser_builds_it():
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    motofast.uninstall()
    try:
        plain = [_tree(UpdateExpressionParser.make(e)) for e in EXPRESSIONS]
    finally:
        motofast.install()
    for e in EXPRESSIONS:
        UpdateExpressionParser.make(e)  # kept now
    first = [UpdateExpressionParser.make(e) for e in EXPRESSIONS]
    assert [_tree(t) for t in first] == plain
    for tree in first:  # what a caller does to its tree stays with it
        tree.children.append("junk")
        tree.children[0].children[0] = None
    again = [UpdateExpressionParser.make(e) for e in EXPRESSIONS]
    assert [_tree(t) for t in again] == plain
    assert all(a is not b for a, b in zip(first, again))
    assert _tree(UpdateExpressionParser.make(EXPRESSIONS[1])) == plain[1]


@pytest.mark.parametrize("expression", ["SET a = :v,", "SET", "REMOVE :v", "SET a = b c", "ADD a"])
def test_an_expression_that_does_not_parse_fails_every_time_as_moto_fails(expression):
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    def failures():
        out = []
        for _ in range(2):
            with pytest.raises(Exception) as raised:
                UpdateExpressionParser.make(expression)
            out.append((type(raised.value), str(raised.value)))
        return out

    fast, plain = both(failures)
    assert fast[0] == fast[1] == plain


def test_the_validators_copy_is_deepcopys_and_anything_else_goes_to_deepcopy():
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DDBTypedValue
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    motofast.install()
    for expression in EXPRESSIONS:
        tree = UpdateExpressionParser.make(expression)
        copied = validators.deepcopy(tree)
        assert _tree(copied) == _tree(copy.deepcopy(tree)) and copied is not tree
        assert not set(map(id, _nodes(copied))) & set(map(id, _nodes(tree)))
        assert list(vars(copied)) == list(vars(copy.deepcopy(tree)))
    tree = UpdateExpressionParser.make("SET a = :v")
    value = DDBTypedValue(DynamoType({"L": [{"S": "x"}]}))
    value.parent = tree
    tree.children.append(value)  # not what the parser makes: deepcopy's copy, DynamoType and all
    copied = validators.deepcopy(tree)
    assert copied.children[-1].children[0] is not value.children[0]
    assert copied.children[-1].children[0] == value.children[0]
    shared = UpdateExpressionParser.make("SET a = :v")
    shared.children.append(shared.children[0])  # a node twice: deepcopy keeps it shared
    copied = validators.deepcopy(shared)
    assert copied.children[0] is copied.children[-1]


def _nodes(node) -> list:
    from moto.dynamodb.parsing.ast_nodes import Node

    out = [node]
    for child in node.children or []:
        if isinstance(child, Node):
            out += _nodes(child)
    return out


def _outcome(action):
    try:
        return "ok", action()
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return type(error).__name__, str(error)


CONDITIONS = [("#s <> :done AND #s <> :failed", {"#s": "status"}, {":done": {"S": "D"}, ":failed": {"S": "F"}}),
              ("#s <> :done AND #s <> :failed", {"#s": "other"}, {":done": {"N": "1"}, ":failed": {"L": []}}),
              ("#s <> :done AND #s <> :failed", {"#s": "status"}, {":done": {"S": "D"}}),  # :failed missing
              ("#s <> :done AND #s <> :failed", {}, {":done": {"S": "D"}, ":failed": {"S": "F"}}),
              ("#s <> :done AND #s <> :failed", None, None),
              ("a.b[1].#c IN (:x, :y) OR NOT size(#c) BETWEEN :x AND :y", {"#c": "c"},
               {":x": {"N": "1"}, ":y": {"N": "2"}}),
              ("attribute_type(a, :t) AND begins_with(a, :p)", {}, {":t": {"S": "S"}, ":p": {"S": "x"}}),
              ("attribute_type(a, :t) AND begins_with(a, :p)", {}, {":t": {}, ":p": {"S": "x"}}),
              ("(a = :x)", {}, {":x": {"S": "1"}}),
              ("((a = :x))", {}, {":x": {"S": "1"}}),
              ("a = ", {}, {}),
              ("size = :x", {}, {":x": {"S": "1"}}),
              ("", {}, {}),
              (None, {}, {})]


def test_a_condition_parses_as_moto_parses_it_with_each_requests_values():
    from moto.dynamodb.comparisons import ConditionExpressionParser

    def parses():
        out = []
        for expression, names, values in CONDITIONS * 2:
            parser = ConditionExpressionParser(expression, names, values)
            out.append((_outcome(lambda: repr(parser.parse())), parser.expr_attr_names_found,
                        parser.expr_attr_values_found))
        return out

    fast, plain = both(parses)
    assert fast[0] == fast[1] == plain
    assert plain[0][0] == ("ok", "((status <> 'D') AND (status <> 'F'))")
    assert plain[1][0] == ("ok", "((other <> '1') AND (other <> []))")
    assert plain[2][0] == ("KeyError", "':failed'")


def test_a_conditions_operands_are_this_requests_values():
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    motofast.install()
    item = Item(DynamoType({"S": "k"}), None, {"status": {"S": "RUNNING"}})
    verdicts = [ConditionExpressionParser("#s IN (:a, :b)", {"#s": "status"},
                                          {":a": {"S": a}, ":b": {"S": "X"}}).parse().expr(item)
                for a in ("RUNNING", "DONE", "RUNNING")]
    assert verdicts == [True, False, True]


class _Virtual:  # made a NoneExistingPath below, by registration alone
    parent = None
    children = None


def test_the_kept_isinstance_answers_follow_an_abc_registration():
    from moto.dynamodb.parsing.ast_nodes import NoneExistingPath, UpdateExpression
    from moto.dynamodb.parsing.validators import NoneExistingPathChecker

    motofast.install()
    tree = UpdateExpression(children=[_Virtual()])
    NoneExistingPathChecker().traverse(tree)  # not a Node yet: passed over
    NoneExistingPath.register(_Virtual)
    try:
        fast = _outcome(lambda: NoneExistingPathChecker().traverse(tree))
        motofast.uninstall()
        plain = _outcome(lambda: NoneExistingPathChecker().traverse(tree))
    finally:
        NoneExistingPath._abc_registry_clear()
        NoneExistingPath._abc_caches_clear()
        motofast.install()
    assert fast == plain and fast[0] == "AttributeDoesNotExist"


def test_results_items_and_copies_are_made_as_moto_makes_them():
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.responses import DynamoResult

    def made():
        item = Item(DynamoType({"S": "k"}), DynamoType({"N": "1"}), ITEM)
        shared = item.attrs["l"]
        item.attrs["again"] = shared  # one DynamoType twice in an item: its copy is shared too
        copied, other = copy.deepcopy([item, shared])
        result = DynamoResult({"Item": item.to_json()["Attributes"], "Items": [item], "When": datetime(2026, 1, 1),
                               "Count": 1, "Nothing": None, "Raw": b"\x01", "Pair": (1, 2),
                               "Typed": [DynamoType(v) for v in ITEM.values()],
                               "Wire": DynamoType({"L": [{"B": "AAE="}, {"BS": ["AAE=", b"\x02"]}]})}).result
        sizes = [_outcome(lambda: Item(DynamoType({"S": "k"}), None, attrs).size())
                 for attrs in ({"a": {"S": "x" * 200_000}, "b": {"S": "y" * 200_000}},
                               {"a": {"S": "x" * 200_000}, "b": {"S": "y" * 210_000}},
                               *(_at_the_limit(extra) for extra in (0, 1)))]
        return (repr(result), copied.to_json(), copied.attrs["again"] is copied.attrs["l"], other is copied.attrs["l"],
                copied.attrs["l"] is not shared, type(copied.attrs).__name__, list(vars(copied)), sizes)

    fast, plain = both(made)
    assert fast[0] == fast[1] == plain
    assert "DynamoType" not in plain[0] and "'M': {'deep': {'S': 'd'}}" in plain[0]
    assert plain[2:5] == (True, True, True)
    assert [outcome[0] for outcome in plain[-1]] == ["ok", "ItemSizeTooLarge", "ok", "ItemSizeTooLarge"]
    assert plain[-1][2] == ("ok", 405_000)


def _at_the_limit(extra: int) -> dict:
    """Attributes of every type measuring 405,000 bytes (moto's limit) with the key, plus extra."""
    attrs = {"é": {"S": "ü" * 1000}, "n": {"N": "-1.5E+3"}, "b": {"B": b"x" * 1000}, "t": {"BOOL": True},
             "z": {"NULL": True}, "ss": {"SS": ["a", "bb"]}, "ns": {"NS": ["1", "22"]}, "bs": {"BS": [b"123"]},
             "l": {"L": [{"S": "ab"}, {"N": "12"}]}, "m": {"M": {"k": {"S": "v"}, "kk": {"L": [{"BOOL": False}]}}}}
    so_far = _measured(attrs)
    attrs["pad"] = {"S": "p" * (405_000 - so_far - len("pad") + extra)}
    return attrs


def _measured(attrs: dict) -> int:
    """What Item.size() says of these attributes."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    return sum(len(k.encode()) + DynamoType(v).size() for k, v in attrs.items())


RENAMED = {"metadata": {"protocol": "json", "jsonVersion": "1.0", "targetPrefix": "X", "apiVersion": "2020-01-01",
                        "serviceId": "X", "endpointPrefix": "x"},
           "operations": {"Get": {"name": "Get", "http": {"method": "POST", "requestUri": "/"},
                                  "output": {"shape": "Out"}}},
           "shapes": {"Out": {"type": "structure", "members": {"Name": {"shape": "S", "locationName": "n"},
                                                               "Inner": {"shape": "In", "locationName": "i"},
                                                               "Count": {"shape": "I", "locationName": "c"}}},
                      "In": {"type": "structure", "members": {"Value": {"shape": "S", "locationName": "v"},
                                                              "Other": {"shape": "S"}}},
                      "S": {"type": "string"}, "I": {"type": "integer"}}}


def test_the_json_serializer_and_parser_pick_members_as_moto_does():
    from moto.core.model import ServiceModel
    from moto.core.parse import JSONParser
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model

    def serialized():
        model: ServiceModel = get_service_model("dynamodb")
        out = []
        for operation, result in [
            ("GetItem", {"Item": {"a": {"s": "snake"}, "b": {"S": "x", "s": "y"}, "c": {"NULL": True, "n": "2"},
                                  "d": {"L": [{"M": {"e": {"BOOL": False}}}, {"B": b"\x00"}]}, "e": {},
                                  "f": {"S": None}, "g": {"S": 5}, "h": {"ns": ["1"]}},
                         "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}}),
            ("Scan", {"Items": [{"a": {"N": "1"}}], "Count": 1, "ScannedCount": 3, "unknown": 1}),
        ]:
            for _ in range(2):
                serializer = JSONSerializer(model.operation_model(operation), value_picker=XFormedAttributePicker())
                out.append(serializer.serialize(result))
        renamed = ServiceModel(RENAMED)  # members the JSON names otherwise
        for _ in range(2):
            serializer = JSONSerializer(renamed.operation_model("Get"), value_picker=XFormedAttributePicker())
            out.append(serializer.serialize({"Name": "x", "Inner": {"Value": "y", "other": "z"}, "Count": 2}))
        parser = JSONParser(model.operation_model("PutItem"))
        for body in (b'{"TableName": "t", "Item": {"a": {"S": "x", "N": null}, "b": {"M": {"c": {"L": []}}}},'
                     b' "Unknown": 1, "ReturnValues": null}', b'{"TableName": "t", "Item": null}'):
            out.append(parser.parse({"method": "POST", "values": {}, "headers": {}, "body": body,
                                     "url_path": "/", "url_params": {}}))
        return out

    fast, plain = both(serialized)
    assert fast[0] == fast[1] == plain
    assert '"a": {"S": "snake"}' in plain[0]["body"]
    assert plain[4]["body"] == '{"n": "x", "i": {"v": "y", "Other": "z"}, "c": 2}'
