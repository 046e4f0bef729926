"""Build the bundled fixture store: ``python -m workflows.marketdata.build``.

    python -m workflows.marketdata.build [--out fixtures/market] [--seed N]
        [--start 2023-01-03] [--end 2026-02-27] [--strategies DIR ...]
        [--symbols A,B] [--proxy none|arch] [--proxy-window-start YYYY-MM-DD]

The universe is every ticker referenced by the strategy files (parsed with the
DSL's own parser, ``workflows.dsl.universe.tickers_in_files``): by default the
12 real files in ``../shared/alchemiser/strategies`` and the project's examples
in ``fixtures/strategies``. Output is byte-deterministic for a given seed and
library versions (numpy, pandas, pyarrow), which the manifest records; numpy's
generators are not stable across versions, so the output is committed.

With ``--proxy arch`` SPY and QQQ come from real index history shipped in the
``arch`` package (see proxy.py); everything else stays synthetic but is driven
by those real paths. The default is the synthetic market alone, whose regime
schedule is designed to take the strategies' branches both ways.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow

from workflows.marketdata import calendar, proxy, regimes
from workflows.marketdata.manifest import GeneratorInfo, Manifest
from workflows.marketdata.store import StoreWriter
from workflows.marketdata.synthetic import (
    DEFAULT_SEED,
    GENERATOR_NAME,
    GENERATOR_VERSION,
    SyntheticMarket,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "fixtures" / "market"
DEFAULT_STRATEGY_DIRS = (REPO.parent / "shared" / "alchemiser" / "strategies", REPO / "fixtures" / "strategies")
DEFAULT_START = "2023-01-03"
DEFAULT_END = "2026-02-27"
SYNTHETIC_LABEL = "SYNTHETIC - not real market data"
PROXY_LABEL = "PROXY - real index history on relabelled dates, not this ticker's data"


def strategy_tickers(dirs: Sequence[Path]) -> list[str]:
    """Every ticker referenced by the .clj files in ``dirs`` (missing dirs skipped)."""
    from workflows.dsl.universe import tickers_in_files

    files = sorted(p for d in dirs if d.is_dir() for p in d.glob("*.clj"))
    return list(tickers_in_files(files).tickers) if files else []


def _clear(out: Path) -> None:
    """Remove a previous build's files (only the store's own files)."""
    for old in sorted((out / "bars").glob("*.parquet")):
        old.unlink()
    (out / "MANIFEST.json").unlink(missing_ok=True)


def _proxies(kind: str, sessions: pd.DatetimeIndex, window_start: str) -> dict:
    if kind == "none":
        return {}
    found = proxy.available()
    if not found:
        raise SystemExit("--proxy arch: the package `arch` is not installed (pip install arch==8.0.0)")
    return {sym: proxy.proxy_bars(sym, sessions, window_start) for sym in sorted(found)}


def build(
    out: Path,
    seed: int = DEFAULT_SEED,
    symbols: Sequence[str] = (),
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    proxy_kind: str = "none",
    proxy_window_start: str = proxy.DEFAULT_WINDOW_START,
) -> Manifest:
    """Write a store of ``symbols`` to ``out`` and return its manifest."""
    sessions = calendar.sessions_index(start, end)
    proxied = _proxies(proxy_kind, sessions, proxy_window_start)
    market = SyntheticMarket(seed, sessions, {s: bars for s, (bars, _) in proxied.items()})
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    writer = StoreWriter(out)
    generator = GeneratorInfo(name=GENERATOR_NAME, version=GENERATOR_VERSION, seed=seed)
    for symbol in sorted(set(symbols)):
        info = generator.model_copy(update={"params": market.params(symbol)})
        if symbol in proxied:
            writer.put(symbol, market.bars(symbol), "proxy", source=proxied[symbol][1], label=PROXY_LABEL)
        elif market.is_proxy(symbol):
            root = proxied[market.root_of(symbol)][1]
            method = f"daily multiple of proxy {market.root_of(symbol)}: {root.method}"
            source = root.model_copy(update={"method": method})
            writer.put(symbol, market.bars(symbol), "proxy", source=source, generator=info, label=PROXY_LABEL)
        else:
            writer.put(symbol, market.bars(symbol), "synthetic", generator=info, label=SYNTHETIC_LABEL)
    writer.set_generator_data(GENERATOR_NAME, _generator_data(seed, sessions, proxy_kind, proxy_window_start))
    return writer.save()


def _generator_data(seed: int, sessions: pd.DatetimeIndex, proxy_kind: str, window: str) -> dict:
    return {
        "version": GENERATOR_VERSION,
        "seed": seed,
        "sessions": {"first": str(sessions[0].date()), "last": str(sessions[-1].date()), "count": len(sessions)},
        "proxy": {"kind": proxy_kind, "window_start": window} if proxy_kind != "none" else None,
        "libraries": {"numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pyarrow.__version__},
        "regimes": regimes.schedule_data(),
        "regenerate": f"python -m workflows.marketdata.build --seed {seed}",
    }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workflows.marketdata.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--start", default=DEFAULT_START)
    parser.add_argument("--end", default=DEFAULT_END)
    parser.add_argument("--strategies", type=Path, nargs="*", default=list(DEFAULT_STRATEGY_DIRS))
    parser.add_argument("--symbols", default="", help="extra comma-separated tickers")
    parser.add_argument("--proxy", choices=("none", "arch"), default="none")
    parser.add_argument("--proxy-window-start", default=proxy.DEFAULT_WINDOW_START)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    extra = [s.strip().upper() for s in args.symbols.split(",") if s.strip()]
    tickers = sorted(set(strategy_tickers(args.strategies)) | set(extra))
    if not tickers:
        print("no tickers: no strategy files found and no --symbols given", file=sys.stderr)
        return 2
    manifest = build(args.out, args.seed, tickers, args.start, args.end, args.proxy, args.proxy_window_start)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    counts = pd.Series([e.provenance for e in manifest.files.values()]).value_counts().to_dict()
    first = min(e.first for e in manifest.files.values())
    last = max(e.last for e in manifest.files.values())
    print(f"wrote {len(manifest.files)} symbols {first}..{last} to {args.out} ({size / 1e6:.1f} MB) {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
