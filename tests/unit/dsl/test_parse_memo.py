"""The parse memo (workflows/dsl/parser.py) hands back what a fresh parse builds."""

from __future__ import annotations

import pytest

from workflows.dsl import parser
from workflows.dsl.errors import DslSyntaxError

TEXT = '(defsymphony "s" {:rebalance-frequency :daily}\n  (weight-equal [(asset "SPY") (asset "TLT" nil)]))'


def test_a_kept_tree_equals_a_fresh_parse_of_the_same_text_and_file():
    first = parser.parse(TEXT, "a.clj")
    again = parser.parse(TEXT, "a.clj")
    assert again is first and again == parser._parse(TEXT, "a.clj")
    other_file = parser.parse(TEXT, "b.clj")
    assert other_file == first and other_file is not first  # the file name is part of the key


def test_a_syntax_error_is_raised_every_time():
    bad = TEXT[:-1]
    for _ in range(2):
        with pytest.raises(DslSyntaxError):
            parser.parse(bad, "bad.clj")
    assert (bad, "bad.clj") not in parser._parsed


def test_the_memo_is_bounded():
    for i in range(parser.PARSED_MAX + 5):
        parser.parse(f'(asset "S{i}")', "many.clj")
    assert len(parser._parsed) <= parser.PARSED_MAX
