"""Parser: the syntax of section 4.1, locations, errors and limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.dsl.errors import DslSyntaxError
from workflows.dsl.nodes import Atom, ListNode, Symbol, to_source
from workflows.dsl.parser import MAX_BYTES, MAX_DEPTH, parse, parse_file


def test_parses_lists_vectors_maps_with_locations():
    tree = parse('(a [b "c"]\n  {:window 10})', "f.clj")
    assert isinstance(tree, ListNode) and tree.kind == "list" and (tree.line, tree.column) == (1, 1)
    head, vector, mapping = tree.children
    assert head == Symbol("a", 1, 2)
    assert vector.kind == "vector" and (vector.line, vector.column) == (1, 4)
    assert vector.children == (Symbol("b", 1, 5), Atom("c", 1, 7))
    assert mapping.kind == "map" and (mapping.line, mapping.column) == (2, 3)
    assert mapping.children == (Symbol(":window", 2, 4), Atom(Decimal("10"), 2, 12))


def test_numbers_are_decimal_including_negative_and_fractional():
    tree = parse("(x 1 -2 0.05 -10.25)")
    values = [c.value for c in tree.children[1:]]
    assert values == [Decimal("1"), Decimal("-2"), Decimal("0.05"), Decimal("-10.25")]
    assert all(isinstance(v, Decimal) for v in values)


def test_comments_commas_nil_and_keywords():
    tree = parse('; header\n(asset "SMR" nil) ; trailing\n')
    assert tree.children[2] == Symbol("nil", 2, 14)
    tree = parse("{:a 1, :b :daily}")
    assert [c.name for c in tree.children if isinstance(c, Symbol)] == [":a", ":b", ":daily"]
    assert tree.children[0].is_keyword


def test_symbols_take_operator_characters():
    tree = parse("(>= <= > < = select-top weight-equal a_b? x*y/z+!)")
    assert [c.name for c in tree.children] == [
        ">=", "<=", ">", "<", "=", "select-top", "weight-equal", "a_b?", "x*y/z+!"
    ]


def test_string_escapes():
    tree = parse(r'(x "say \"hi\"" "back\\slash" "tab\tnew\nline")')
    assert [c.value for c in tree.children[1:]] == ['say "hi"', "back\\slash", "tab\tnew\nline"]


def test_to_source_round_trips_a_form():
    text = '(filter (rsi {:window 7}) (select-top 2) [(asset "A" nil) (asset "B" "x \\"y\\"")])'
    assert to_source(parse(text)) == text


def _error(text: str, file: str = "s.clj") -> DslSyntaxError:
    with pytest.raises(DslSyntaxError) as info:
        parse(text, file)
    return info.value


def test_unclosed_paren_names_opener_with_caret_and_fix():
    error = _error('(defsymphony "x" {}\n  (weight-equal\n    [(asset "A")]')
    text = str(error)
    assert text.splitlines() == [
        "s.clj:2:3: syntax error: unclosed '(' opened at 2:3",
        "      (weight-equal",
        "      ^",
        "hint: add the missing ')' (the file ended before it was closed)",
    ]
    assert (error.file, error.line, error.column) == ("s.clj", 2, 3)


def test_mismatched_closer():
    error = _error("(a [b c)")
    assert str(error).startswith("s.clj:1:8: syntax error: '[' opened at 1:4 is closed by ')'")
    assert "use ']' here" in str(error)


def test_stray_closer():
    error = _error("(a b))")
    assert (error.line, error.column) == (1, 6)
    assert "unexpected ')' with nothing open" in str(error)


def test_unterminated_string_and_bad_character_and_bad_escape():
    assert "unterminated string" in str(_error('(a "abc)'))
    error = _error("(a #b)")
    assert (error.line, error.column) == (1, 4) and "unexpected character '#'" in str(error)
    error = _error(r'(a "x\qy")')
    assert (error.line, error.column) == (1, 6) and "unknown escape" in str(error)


def test_empty_file_and_two_top_level_forms():
    assert "no form found" in str(_error("  ; only a comment\n"))
    error = _error("(a)\n(b)")
    assert (error.line, error.column) == (2, 1) and "more than one top-level form" in str(error)


def test_depth_limit():
    ok = "(" * MAX_DEPTH + ")" * MAX_DEPTH
    parse(ok)
    error = _error("(" * (MAX_DEPTH + 1) + ")" * (MAX_DEPTH + 1))
    assert (error.line, error.column) == (1, MAX_DEPTH + 1)
    assert f"nesting deeper than {MAX_DEPTH} levels" in str(error)


def test_size_limit(tmp_path):
    big = "(a " + " " * (MAX_BYTES) + ")"
    assert "larger than the 10 MB limit" in str(_error(big))
    path = tmp_path / "big.clj"
    path.write_text(big)
    with pytest.raises(DslSyntaxError) as info:
        parse_file(path)
    assert str(path) in str(info.value) and "over the 10 MB limit" in str(info.value)


def test_parse_file_names_the_path(tmp_path):
    path = tmp_path / "broken.clj"
    path.write_text("(a\n")
    with pytest.raises(DslSyntaxError) as info:
        parse_file(path)
    assert str(info.value).startswith(f"{path}:1:1: syntax error: unclosed '('")
