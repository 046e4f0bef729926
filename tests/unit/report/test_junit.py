"""JUnit XML: parses, counts match, escapes, same bytes; a shadow report as one suite."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sim.report import render_junit, report_suites

SUITES = [
    {"name": "alpha", "cases": [
        {"name": "ok", "classname": "a.b", "status": "passed", "message": "", "details": "", "time": 0.5},
        {"name": "bad <one>", "classname": "a.b", "status": "failed", "message": 'x & "y"', "details": "line1\nline2 <&>",
         "time": 1.25},
        {"name": "boom", "classname": "a.c", "status": "error", "message": "crashed\x00\x07here", "details": "", "time": 0},
    ]},
    {"name": "beta", "cases": [
        {"name": "later", "classname": "b", "status": "skipped", "message": "not today", "details": "", "time": 0.0},
    ]},
]


def test_it_parses_and_the_counts_match():
    root = ET.fromstring(render_junit(SUITES).encode("utf-8"))
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
        {"tests": "4", "failures": "1", "errors": "1", "skipped": "1"}
    alpha, beta = root.findall("testsuite")
    assert (alpha.get("name"), alpha.get("tests"), alpha.get("failures"), alpha.get("errors"), alpha.get("time")) == \
        ("alpha", "3", "1", "1", "1.750")
    assert (beta.get("tests"), beta.get("skipped")) == ("1", "1")
    cases = alpha.findall("testcase")
    assert [c.get("name") for c in cases] == ["ok", "bad <one>", "boom"]
    assert list(cases[0]) == []
    failure = cases[1].find("failure")
    assert (failure.get("message"), failure.text) == ('x & "y"', "line1\nline2 <&>")
    assert cases[2].find("error").get("message") == "crashed\ufffd\ufffdhere"  # not representable in XML
    assert beta.find("testcase/skipped").get("message") == "not today"


def test_attribute_order_and_bytes_are_fixed():
    text = render_junit(SUITES)
    assert text == render_junit(SUITES)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="shadowsim" tests="4" '
                           'failures="1" errors="1" skipped="1" time="1.750">')
    assert '<testcase name="ok" classname="a.b" time="0.500" />' in text


def test_a_shadow_report_is_one_suite_one_case_per_comparison(report):
    suites = report_suites(report)
    assert len(suites) == 1 and suites[0]["name"] == "Shadow comparison, 2026-01-14"
    (case,) = suites[0]["cases"]
    assert (case["name"], case["classname"], case["status"]) == ("legacy vs stepfunctions", "shadow.2026-01-14", "failed")
    assert case["message"] == report["summary"]
    lines = case["details"].splitlines()
    assert len(lines) == 2 and lines[0].startswith("allocation.weights.SPY: 0.2940936859139306135990977830 -> "
                                                   "0.2840936859139306135990977830 [diverge; absolute 1e-09")
    root = ET.fromstring(render_junit(suites))
    assert root.get("failures") == "1" and root.find("testsuite/testcase/failure") is not None


def test_agreement_passes_and_an_error_is_an_error(report, error_report):
    report["comparisons"][0]["verdict"] = "agree"
    (case,) = report_suites(report)[0]["cases"]
    assert (case["status"], case["message"]) == ("passed", "")
    (case,) = report_suites(error_report)[0]["cases"]
    assert (case["name"], case["status"]) == ("shadow run", "error")
    root = ET.fromstring(render_junit(report_suites(error_report)))
    assert root.get("errors") == "1"
    assert "unknown type <AWS::Nope>" in root.find("testsuite/testcase/error").text
