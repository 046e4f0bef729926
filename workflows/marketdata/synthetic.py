"""A seeded synthetic market: any ticker, deterministically, with its relationships.

``SyntheticMarket(seed, sessions).bars("TQQQ")`` gives Alpaca-shaped daily bars.

* Common factors (market, tech, semis, rates, gold, VIX, ...) follow the dated
  regime schedule in ``regimes.py``; the seed only picks their daily noise.
* Each ticker is described in ``instruments.py``: factor loadings plus its own
  noise (equities), duration and carry (bonds), or a daily multiple of another
  instrument's simple return (leveraged and inverse funds, VIX ETPs). TQQQ's
  daily return is exactly 3x QQQ's; SQQQ's is exactly -3x. There is no fee or
  financing drag, so the relationship holds to float precision; the volatility
  decay of daily reset still shows, since it comes from compounding.
* Volatility: a VIX level mean-reverts toward the market regime's target and
  jumps when the market falls; VIX futures ETPs follow its log change minus a
  roll cost (contango when calm, backwardation when stressed). UVXY = 1.5x, UVIX
  = 2x, SVXY = -0.5x, SVIX = -1x the short-term futures index.
* Randomness: every stream is a numpy PCG64 seeded from sha256("shadowsim-synth
  |seed|key") (never Python's salted ``hash``), one stream per factor and per
  ticker, so adding a ticker never changes another one's bars.

numpy does not promise identical Generator output across versions, so the
bundled fixtures are committed rather than regenerated in CI.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from workflows.marketdata import regimes
from workflows.marketdata.instruments import Spec, _unit, base_volume, spec_for
from workflows.marketdata.ohlcv import Ohlc, activity, base_ohlc, leveraged_ohlc, local_sigma
from workflows.marketdata.store import session_timestamps

GENERATOR_NAME = "shadowsim-synth"
GENERATOR_VERSION = "2"  # 2: schedule and loadings designed for branch coverage
DEFAULT_SEED = 20260213

# VIX model: pull toward the regime target, jump against market moves.
VIX_PULL = 0.2
VIX_MARKET_SENSITIVITY = -4.5
VIX_NOISE = 0.035
ROLL_MAX = 0.0045  # daily roll cost of the short-term futures index when VIX is low
ROLL_PIVOT = 21.0  # VIX level where contango turns into backwardation

# How proxy (real) series drive the factors: factor = (log r - others) / own.
_PROXY_FACTORS = {"SPY": ("mkt", {}), "QQQ": ("tech", {"mkt": 1.05})}


def rng_for(seed: int, key: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{GENERATOR_NAME}|{seed}|{key}".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


class SyntheticMarket:
    """All series over one list of sessions, computed lazily and memoised."""

    def __init__(
        self,
        seed: int,
        sessions: pd.DatetimeIndex,
        proxies: dict[str, pd.DataFrame] | None = None,
    ) -> None:
        if len(sessions) < 2:
            raise ValueError("a synthetic market needs at least two sessions")
        self.seed = seed
        self.sessions = pd.DatetimeIndex(sessions)
        # Proxy bars (real data relabelled onto these sessions), Alpaca-shaped.
        self.proxies = dict(proxies or {})
        self._factors: dict[str, np.ndarray] = {}
        self._log_returns: dict[str, np.ndarray] = {}
        self._ohlc: dict[str, Ohlc] = {}
        self._vix: np.ndarray | None = None

    # -- factors -----------------------------------------------------------

    def factor(self, name: str) -> np.ndarray:
        if name not in self._factors:
            self._factors[name] = self._make_factor(name)
        return self._factors[name]

    def _make_factor(self, name: str) -> np.ndarray:
        for symbol, (factor, others) in _PROXY_FACTORS.items():
            if factor == name and symbol in self.proxies:
                spec = spec_for(symbol)
                own = dict(spec.loadings)[factor]
                rest = sum(w * self.factor(f) for f, w in others.items())
                return (self.log_returns(symbol) - rest) / own
        return regimes.factor_returns(name, self.sessions, rng_for(self.seed, f"factor:{name}"))

    def vix(self) -> np.ndarray:
        """The VIX level per session (an index, not a tradable series)."""
        if self._vix is None:
            market = self.factor("mkt")
            targets = np.log(self._vix_targets(market))
            noise = rng_for(self.seed, "factor:vix").standard_normal(len(market))
            level = np.empty(len(market))
            prev = targets[0]
            for t in range(len(market)):
                prev = prev + VIX_PULL * (targets[t] - prev) + VIX_MARKET_SENSITIVITY * market[t]
                prev = max(prev + VIX_NOISE * noise[t], np.log(9.0))
                level[t] = prev
            self._vix = np.exp(level)
        return self._vix

    def _vix_targets(self, market: np.ndarray) -> np.ndarray:
        if "SPY" in self.proxies:
            # A real market path does not follow the schedule: let the VIX track
            # the path's own realised volatility instead of the scheduled targets.
            realised = local_sigma(market) * np.sqrt(regimes.TRADING_DAYS) * 100.0
            return np.clip(1.1 * realised + 3.0, 10.0, 80.0)
        return regimes.vix_targets(self.sessions)

    def ten_year_yield(self) -> np.ndarray:
        return regimes.TEN_YEAR_START + np.cumsum(self.factor("rates"))

    # -- returns -----------------------------------------------------------

    def log_returns(self, symbol: str) -> np.ndarray:
        """Daily log returns of the close (the first relative to a virtual prior close)."""
        if symbol not in self._log_returns:
            self._log_returns[symbol] = self._make_log_returns(symbol)
        return self._log_returns[symbol]

    def _make_log_returns(self, symbol: str) -> np.ndarray:
        if symbol in self.proxies:
            bars = self.proxies[symbol]
            closes = bars["close"].to_numpy(dtype=float)
            first = float(bars["open"].iloc[0])  # no prior close: use the first open
            return np.log(closes / np.concatenate(([first], closes[:-1])))
        spec = spec_for(symbol)
        maker = {
            "equity": self._equity,
            "bond": self._bond,
            "vix_futures": self._vix_futures,
            "leveraged": self._leveraged,
        }[spec.kind]
        return maker(symbol, spec)

    def _noise(self, symbol: str, annual_vol: float) -> np.ndarray:
        shocks = regimes.standard_t(rng_for(self.seed, f"idio:{symbol}"), len(self.sessions))
        return annual_vol / np.sqrt(regimes.TRADING_DAYS) * shocks

    def _equity(self, symbol: str, spec: Spec) -> np.ndarray:
        total = self._noise(symbol, spec.idio)
        for factor, weight in spec.loadings:
            total = total + weight * self.factor(factor)
        return total

    def _bond(self, symbol: str, spec: Spec) -> np.ndarray:
        # Carry: short bonds earn the bill rate, long ones the 10y; blend by duration.
        weight = np.exp(-spec.duration / 3.0)
        y10 = self.ten_year_yield()
        carry = (weight * regimes.short_rates(self.sessions) + (1 - weight) * y10) / regimes.TRADING_DAYS
        price = -spec.duration * self.factor("rates") + spec.credit * self.factor("mkt")
        for factor, weight in spec.loadings:
            price = price + weight * self.factor(factor)
        return carry + price + self._noise(symbol, spec.idio)

    def _vix_futures(self, symbol: str, spec: Spec) -> np.ndarray:
        level = self.vix()
        prev = np.concatenate(([level[0]], level[:-1]))
        roll = ROLL_MAX * np.tanh((ROLL_PIVOT - prev) / 5.0)
        # spec.multiple is the index's sensitivity: mid-term futures move less.
        return 0.5 * spec.multiple * np.log(level / prev) - spec.multiple * roll

    def _leveraged(self, symbol: str, spec: Spec) -> np.ndarray:
        base = np.expm1(self.log_returns(spec.underlying))
        # Daily reset on simple returns; a fund cannot lose more than it has.
        return np.log1p(np.maximum(spec.multiple * base, -0.95))

    # -- prices and bars ---------------------------------------------------

    def closes(self, symbol: str) -> np.ndarray:
        """Closes, scaled so the last one is the instrument's reference price."""
        if symbol in self.proxies:
            return self.proxies[symbol]["close"].to_numpy(dtype=float)
        path = np.exp(np.cumsum(self.log_returns(symbol)))
        return path * (spec_for(symbol).price / path[-1])

    def _first_prev(self, symbol: str) -> float:
        return float(self.closes(symbol)[0] / np.exp(self.log_returns(symbol)[0]))

    def ohlc(self, symbol: str) -> Ohlc:
        if symbol not in self._ohlc:
            self._ohlc[symbol] = self._make_ohlc(symbol)
        return self._ohlc[symbol]

    def _make_ohlc(self, symbol: str) -> Ohlc:
        if symbol in self.proxies:
            bars = self.proxies[symbol]
            closes = bars["close"].to_numpy(dtype=float)
            cols = [bars[c].to_numpy(dtype=float) for c in ("open", "high", "low")]
            return Ohlc(*cols, closes, np.concatenate(([cols[0][0]], closes[:-1])))
        spec = spec_for(symbol)
        closes = self.closes(symbol)
        if spec.kind == "leveraged":
            return leveraged_ohlc(self.ohlc(spec.underlying), closes, self._first_prev(symbol), spec.multiple)
        return base_ohlc(closes, self._first_prev(symbol), rng_for(self.seed, f"ohlc:{symbol}"))

    def bars(self, symbol: str) -> pd.DataFrame:
        """Alpaca-shaped daily bars (timestamp at midnight New York, in UTC)."""
        ohlc = self.ohlc(symbol)
        spec = spec_for(symbol)
        trade_size = 60.0 + 200.0 * _unit(symbol, "trade_size")
        volume, trades, vwap = activity(
            ohlc, rng_for(self.seed, f"activity:{symbol}"), base_volume(symbol, spec), trade_size
        )
        if symbol in self.proxies and "volume" in self.proxies[symbol]:
            volume = self.proxies[symbol]["volume"].to_numpy(dtype=float)
            trades = np.maximum(np.rint(volume / trade_size), 1.0)
        return pd.DataFrame(
            {
                "timestamp": session_timestamps(self.sessions),
                "open": ohlc.open,
                "high": ohlc.high,
                "low": ohlc.low,
                "close": ohlc.close,
                "volume": volume,
                "trade_count": trades,
                "vwap": vwap,
            }
        )

    # -- provenance --------------------------------------------------------

    def root_of(self, symbol: str) -> str:
        """The instrument a leveraged chain ends at (TQQQ -> QQQ)."""
        spec = spec_for(symbol)
        while symbol not in self.proxies and spec.kind == "leveraged":
            symbol = spec.underlying
            spec = spec_for(symbol)
        return symbol

    def is_proxy(self, symbol: str) -> bool:
        return self.root_of(symbol) in self.proxies

    def params(self, symbol: str) -> dict:
        """What the manifest records about how ``symbol`` was made."""
        out = spec_for(symbol).params()
        out["regimes_sha256"] = regimes.schedule_data()["sha256"]
        if self.proxies:
            out["proxy_bases"] = sorted(self.proxies)
        return out
