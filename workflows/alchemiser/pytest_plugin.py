"""shadowsim's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures for regression tests in a few lines:

    def test_stepfunctions_agrees(shadow_run):
        result = shadow_run("2026-01-14", variants="legacy,stepfunctions-fixed")
        assert result.verdict == "agree", result.report["summary"]

    def test_golden(golden_case):            # one test per golden day x variant, with --golden
        golden_case.assert_unchanged()

    def test_my_day(golden_day):
        day = golden_day("2025-11-11")       # a GoldenDay: inputs, expected observables
        assert day.expected("legacy")["outcome"] == "NO_TRADES"

Options: ``--golden`` turns the ``golden_case`` tests on (they are skipped without
it, since replaying every day takes a while); ``--golden-dir DIR`` points at
another folder of golden days (default: the project's fixtures/golden).
Imports are lazy so that loading the plugin costs nothing in other projects' runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("shadowsim", "shadowsim golden days")
    group.addoption("--golden", action="store_true", default=False,
                    help="replay golden days: run the tests that use the golden_case fixture")
    group.addoption("--golden-dir", default=None, metavar="DIR",
                    help="folder of golden days (default: shadowsim's fixtures/golden)")


def _golden_root(config: pytest.Config) -> Path:
    from workflows.alchemiser.golden import GOLDEN

    given = config.getoption("--golden-dir")
    return Path(given) if given else GOLDEN


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "golden_case" not in metafunc.fixturenames:
        return
    if not metafunc.config.getoption("--golden"):
        metafunc.parametrize("golden_case", [pytest.param(None, marks=pytest.mark.skip(
            reason="golden days are replayed with --golden"))], indirect=True, ids=["golden"])
        return
    from workflows.alchemiser.golden import golden_days

    cases = [(g.folder, v) for g in golden_days(_golden_root(metafunc.config)) for v in g.variants]
    metafunc.parametrize("golden_case", cases, indirect=True,
                         ids=[f"{folder.name}-{Path(v).stem}" for folder, v in cases])


class GoldenCase:
    """One golden day x variant: ``check()`` replays it, ``assert_unchanged()`` fails with the diff."""

    def __init__(self, folder: Path, variant: str) -> None:
        from workflows.alchemiser.golden import GoldenDay

        self.day, self.variant = GoldenDay.load(folder), variant

    def check(self):
        from workflows.alchemiser.regress import check

        return check(self.day, self.variant)

    def assert_unchanged(self) -> None:
        result = self.check()
        if result.status != "passed":
            pytest.fail(f"golden day {result.day} {result.variant} {result.status}: {result.message}\n"
                        f"{result.details()}", pytrace=False)


@pytest.fixture
def golden_case(request: pytest.FixtureRequest) -> GoldenCase:
    folder, variant = request.param
    return GoldenCase(folder, variant)


@pytest.fixture
def golden_day(request: pytest.FixtureRequest):
    """A loader: ``golden_day("2026-01-14")`` -> GoldenDay from --golden-dir (or the bundled ones)."""
    from workflows.alchemiser.golden import GoldenDay

    root = _golden_root(request.config)
    return lambda day: GoldenDay.load(root / str(day))


@pytest.fixture
def shadow_run(request: pytest.FixtureRequest, tmp_path: Path):
    """A runner: ``shadow_run(day, variants="legacy,stepfunctions", tolerances="seed", noise_runs=0,
    seed=None, report=False)`` -> ShadowResult; with ``report=True`` the reports are written under tmp_path."""
    from datetime import date

    from workflows.alchemiser.shadow import ShadowOptions, run_shadow
    from workflows.alchemiser.shadow_cli import parse_variants, write_reports

    root = _golden_root(request.config)

    def run(day, variants="legacy,stepfunctions", tolerances="seed", noise_runs=0, seed=None, faults=None,
            report=False):
        when = day if isinstance(day, date) else date.fromisoformat(str(day))
        names = parse_variants(variants) if isinstance(variants, str) else tuple(variants)
        result = run_shadow(ShadowOptions(day=when, variants=names, seed=seed, noise_runs=noise_runs,
                                          tolerances=str(tolerances), golden_root=root, faults=faults))
        if report:
            result.paths = write_reports(result, tmp_path / "shadow" / when.isoformat())
        return result

    return run
