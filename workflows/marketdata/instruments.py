"""What each ticker is, for the synthetic generator: loadings, leverage, duration.

Four kinds:

* ``equity``: log return = sum(loading x factor) + idiosyncratic noise. Factor
  names are those of ``regimes.DEFAULTS``; "tech", "semi", "small", ... are
  *relative* to the market, so QQQ = 1.05 mkt + 1.0 tech. A ``rates`` loading
  multiplies the daily 10y yield change (XLU -4: down 4 % per +1 % yield).
* ``bond``: carry from the yield curve minus duration x yield change, plus a
  credit beta to the market (and optional factor loadings: bill stress for
  bill funds, credit ``spreads`` for corporate bonds and closed-end funds).
* ``vix_futures``: a VIX futures index (helper, never a ticker itself).
* ``leveraged``: a daily multiple of another instrument's simple return (TQQQ =
  3 x QQQ, SQQQ = -3 x QQQ, UVXY = 1.5 x the VIX short-term futures index).

``price`` is the *last* close: every series is scaled so it ends there, the way
Alpaca's adjusted history is anchored at today's price. Names starting with "_"
are helpers (an index, bitcoin) that leveraged products need; they are not
tickers. A ticker not listed gets ``default_spec`` (a hashed, plausible stock).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spec:
    kind: str
    price: float
    loadings: tuple[tuple[str, float], ...] = ()
    idio: float = 0.0
    underlying: str = ""
    multiple: float = 0.0
    duration: float = 0.0
    credit: float = 0.0
    volume: float = 0.0
    note: str = field(default="", compare=False)

    def params(self) -> dict:
        keep = {
            "equity": ("loadings", "idio"),
            "bond": ("duration", "credit", "idio", "loadings"),
            "leveraged": ("underlying", "multiple"),
            "vix_futures": ("multiple",),
        }[self.kind]
        out: dict = {"kind": self.kind, "last_close": self.price}
        for name in keep:
            value = getattr(self, name)
            out[name] = dict(value) if name == "loadings" else value
        if self.note:
            out["note"] = self.note
        return out


def eq(price: float, idio: float, volume: float = 0.0, **loadings: float) -> Spec:
    return Spec("equity", price, tuple(sorted(loadings.items())), idio, volume=volume)


def lev(underlying: str, multiple: float, price: float, volume: float = 0.0) -> Spec:
    return Spec("leveraged", price, underlying=underlying, multiple=multiple, volume=volume)


def bond(
    duration: float, price: float, credit: float = 0.0, idio: float = 0.004, volume: float = 0.0, **loadings: float
) -> Spec:
    return Spec("bond", price, tuple(sorted(loadings.items())), idio, duration=duration, credit=credit, volume=volume)


_BROAD = {
    "SPY": eq(690, 0.01, 7e7, mkt=1.0),
    "IOO": eq(115, 0.04, mkt=0.95, tech=0.4, dollar=-0.3),
    "VTV": eq(190, 0.02, mkt=0.85, tech=-0.35, fin=0.3, health=0.2, value=0.5),
    "USMV": eq(95, 0.02, mkt=0.7, defensive=0.4, health=0.2),
    "DIA": eq(490, 0.04, 4e6, mkt=0.9, tech=-0.2, fin=0.2, value=0.3),
    "SPXT": eq(100, 0.015, mkt=0.95, tech=-0.5),
    "VOOG": eq(430, 0.02, mkt=1.05, tech=0.6, value=-0.3),
    "VOOV": eq(205, 0.02, mkt=0.9, tech=-0.4, fin=0.25, value=0.5),
    "DLN": eq(85, 0.03, mkt=0.8, tech=-0.3, defensive=0.3, value=0.6),
    "QQQ": eq(620, 0.01, 4e7, mkt=1.05, tech=1.0),
    "QQQE": eq(100, 0.06, mkt=1.0, tech=0.7),
    "XLK": eq(280, 0.04, 8e6, mkt=1.1, tech=1.3, semi=0.3),
    "SOXX": eq(300, 0.05, 4e6, mkt=1.2, tech=1.3, semi=1.0),
    "SMH": eq(370, 0.05, 7e6, mkt=1.2, tech=1.35, semi=1.0),
    "XLF": eq(54, 0.03, 4e7, mkt=1.0, fin=1.0),
    "XLP": eq(80, 0.04, 1e7, mkt=0.55, defensive=1.0),
    "XLU": eq(44, 0.05, 1.2e7, mkt=0.5, defensive=1.1, rates=-4.0),
    "VPU": eq(185, 0.05, mkt=0.5, defensive=1.1, rates=-4.0),
    "XLV": eq(150, 0.03, 8e6, mkt=0.7, health=1.0),
    "XLY": eq(115, 0.05, mkt=1.1, tech=0.3, consumer=0.8),
    "VOX": eq(185, 0.05, mkt=1.0, tech=0.4, comm=1.0),
    "ITA": eq(210, 0.08, mkt=0.9),
    "BBH": eq(180, 0.08, mkt=0.7, health=0.8, biotech=0.6),
    "XBI": eq(110, 0.10, 9e6, mkt=1.0, health=0.7, biotech=1.2, small=0.5),
    "XPH": eq(50, 0.08, mkt=0.6, health=1.0),
    "IWM": eq(260, 0.03, 3e7, mkt=1.1, small=1.0, fin=0.2, value=0.2),
    "ISCB": eq(60, 0.04, mkt=1.1, small=1.0),
    "IJR": eq(120, 0.03, mkt=1.05, small=0.9),
    "XRT": eq(85, 0.08, mkt=1.15, small=0.5, consumer=1.0),
    "XLRE": eq(41, 0.03, mkt=0.8, realestate=1.0, rates=-6.0),
    "XLE": eq(90, 0.08, mkt=0.6, oil=0.5),
    "XOP": eq(130, 0.12, mkt=0.7, oil=0.8),
    "NLR": eq(130, 0.10, mkt=0.8, themes=0.35, defensive=0.3),
    "EEM": eq(52, 0.04, 3e7, mkt=0.7, em=1.0, china=0.3, dollar=-0.8),
    "FXI": eq(38, 0.06, 3e7, mkt=0.5, em=0.5, china=1.0),
    "EFA": eq(95, 0.04, mkt=0.8, dollar=-0.7),
    "GLD": eq(460, 0.02, 1e7, gold=1.0),
    "SLV": eq(75, 0.05, 2e7, gold=1.2, silver=1.0),
    "GDX": eq(90, 0.12, 2e7, mkt=0.4, gold=2.0),
    "UUP": eq(27, 0.02, dollar=1.0),
    "UDN": eq(19, 0.02, dollar=-1.0),
    "DBC": eq(23, 0.05, oil=0.6, gold=0.15, mkt=0.2),
    "DBE": eq(20, 0.05, oil=0.9),
    "KMLM": eq(27, 0.04, trend=1.0, rates=3.0, mkt=-0.1),
    "WTMF": eq(36, 0.03, trend=0.8, mkt=0.1),
    "BTAL": eq(19, 0.06, mkt=-0.55, small=-0.3, tech=-0.2),
    "_BTC": Spec("equity", 70000.0, (("crypto", 1.0),), 0.05, note="bitcoin helper for BITX"),
    "_FANG": Spec("equity", 1000.0, (("mkt", 1.1), ("tech", 1.1)), 0.06, note="NYSE FANG+ helper"),
}

_BONDS = {
    "BIL": bond(0.15, 91.5, idio=0.003, volume=1e7, bills=0.5),
    "SHV": bond(0.3, 110.3, idio=0.003, bills=1.0),
    "SHY": bond(1.9, 82.9, bills=0.5),
    "BSV": bond(2.6, 78.5),
    "IEI": bond(4.3, 119.0),
    "IEF": bond(7.2, 96.0, volume=1e7),
    "TLT": bond(16.5, 88.0, idio=0.01, volume=3e7),
    "AGG": bond(6.0, 100.0, credit=0.04, spreads=0.3),
    "BND": bond(6.0, 74.0, credit=0.04, spreads=0.3),
    "BOND": bond(6.0, 93.0, credit=0.05, spreads=0.8),
    "LQD": bond(8.3, 111.0, credit=0.12, spreads=1.5),
    "IGIB": bond(4.2, 54.0, credit=0.10, idio=0.008, spreads=1.0),
    "CORP": bond(6.8, 98.0, credit=0.10, spreads=1.2),
    # closed-end bond funds: long duration, equity-like discount swings
    "VBF": bond(7.0, 16.0, credit=0.25, idio=0.08, spreads=1.5),
    "MHD": bond(12.0, 12.0, credit=0.2, idio=0.09, spreads=1.5),
    "PIM": bond(4.0, 3.4, credit=0.3, idio=0.08, spreads=2.0),
    "PMM": bond(11.0, 6.1, credit=0.2, idio=0.09, spreads=1.5),
    "MMT": bond(3.0, 4.7, credit=0.3, idio=0.08, spreads=1.5),
    "EVN": bond(12.0, 10.5, credit=0.2, idio=0.09, spreads=1.5),
    "BKT": bond(5.0, 11.8, credit=0.1, idio=0.07, spreads=0.5),
}

_VIX = {
    "_VXST": Spec("vix_futures", 1000.0, multiple=1.0, note="VIX short-term futures index helper"),
    "_VXMT": Spec("vix_futures", 1000.0, multiple=0.45, note="VIX mid-term futures index helper"),
    "VIXY": lev("_VXST", 1.0, 30, 5e6),
    "UVXY": lev("_VXST", 1.5, 10, 3e7),
    "UVIX": lev("_VXST", 2.0, 8, 1e7),
    "SVXY": lev("_VXST", -0.5, 48, 2e6),
    "SVIX": lev("_VXST", -1.0, 18, 3e6),
    "VIXM": lev("_VXMT", 1.0, 15, 5e5),
}

_LEVERAGED = {
    "TQQQ": lev("QQQ", 3, 55, 6e7), "SQQQ": lev("QQQ", -3, 70, 8e7),
    "QLD": lev("QQQ", 2, 130), "PSQ": lev("QQQ", -1, 31), "QID": lev("QQQ", -2, 20),
    "UPRO": lev("SPY", 3, 110), "SPXL": lev("SPY", 3, 210, 4e6), "SSO": lev("SPY", 2, 115),
    "SH": lev("SPY", -1, 36), "SPXS": lev("SPY", -3, 12), "SPXU": lev("SPY", -3, 15),
    "SOXL": lev("SOXX", 3, 45, 8e7), "SOXS": lev("SOXX", -3, 5, 1e8), "USD": lev("SOXX", 2, 90),
    "TECL": lev("XLK", 3, 110), "TECS": lev("XLK", -3, 5), "ROM": lev("XLK", 2, 80),
    "UDOW": lev("DIA", 3, 105), "SDOW": lev("DIA", -3, 40), "DXD": lev("DIA", -2, 22),
    "TNA": lev("IWM", 3, 50), "URTY": lev("IWM", 3, 60), "SRTY": lev("IWM", -3, 15),
    "UWM": lev("IWM", 2, 48), "SAA": lev("IJR", 2, 27),
    "TMF": lev("TLT", 3, 40), "TMV": lev("TLT", -3, 38),
    "UGL": lev("GLD", 2, 100), "GLL": lev("GLD", -2, 10), "AGQ": lev("SLV", 2, 180),
    "YINN": lev("FXI", 3, 45), "YANG": lev("FXI", -3, 25),
    "EDC": lev("EEM", 3, 45), "EDZ": lev("EEM", -3, 28), "EFO": lev("EFA", 2, 55),
    "FAS": lev("XLF", 3, 175), "FAZ": lev("XLF", -3, 30), "UYG": lev("XLF", 2, 95),
    "LABU": lev("XBI", 3, 170), "CURE": lev("XLV", 3, 100), "PILL": lev("XPH", 3, 10),
    "DRN": lev("XLRE", 3, 10), "DRV": lev("XLRE", -3, 25),
    "UTSL": lev("XLU", 3, 42), "UGE": lev("XLP", 2, 18), "RETL": lev("XRT", 3, 9),
    "ERX": lev("XLE", 2, 55), "OILD": lev("XOP", -3, 9),
    "GDXU": lev("GDX", 3, 230), "GDXD": lev("GDX", -3, 5),
    "BITX": lev("_BTC", 2, 30), "CONL": lev("COIN", 2, 20),
    "AAPX": lev("AAPL", 2, 22), "AMZU": lev("AMZN", 2, 40), "AMZZ": lev("AMZN", 2, 24),
    "GGLL": lev("GOOGL", 2, 90), "NVDL": lev("NVDA", 2, 90), "TSLR": lev("TSLA", 2, 20),
    "FBL": lev("META", 2, 35), "FNGG": lev("_FANG", 2, 120), "FNGD": lev("_FANG", -3, 12),
}


def _theme(price: float, idio: float = 0.65) -> Spec:
    # drones / eVTOL / nuclear / AI-infrastructure names: one shared, volatile theme
    return eq(price, idio, mkt=1.3, small=0.5, themes=1.0)


_STOCKS = {
    "AAPL": eq(260, 0.22, mkt=1.1, tech=0.8), "AMZN": eq(230, 0.28, mkt=1.15, tech=0.8),
    "GOOGL": eq(300, 0.27, mkt=1.1, tech=0.9), "META": eq(680, 0.32, mkt=1.2, tech=1.0),
    "NVDA": eq(185, 0.40, mkt=1.4, tech=1.2, semi=1.0), "TSLA": eq(420, 0.50, mkt=1.5, tech=0.8, themes=0.3),
    "AMD": eq(210, 0.42, mkt=1.3, tech=1.0, semi=1.1), "AVGO": eq(340, 0.35, mkt=1.2, tech=1.0, semi=0.9),
    "MU": eq(400, 0.45, mkt=1.3, tech=0.9, semi=1.3), "QCOM": eq(160, 0.30, mkt=1.1, tech=0.8, semi=0.8),
    "ASML": eq(1200, 0.33, mkt=1.2, tech=0.8, semi=1.0, dollar=-0.3),
    "TSM": eq(320, 0.33, mkt=1.2, tech=0.9, semi=1.0, china=0.2),
    "ACLS": eq(85, 0.48, mkt=1.3, semi=1.3, small=0.5), "SIMO": eq(90, 0.42, mkt=1.2, semi=0.8),
    "MA": eq(560, 0.20, mkt=1.0, fin=0.5), "V": eq(340, 0.20, mkt=1.0, fin=0.5),
    "SCHW": eq(95, 0.28, mkt=1.1, fin=1.0), "IBKR": eq(70, 0.33, mkt=1.2, fin=0.9),
    "KKR": eq(120, 0.35, mkt=1.3, fin=1.0), "BX": eq(150, 0.33, mkt=1.3, fin=1.0),
    "BAM": eq(52, 0.30, mkt=1.2, fin=0.9), "BN": eq(48, 0.30, mkt=1.2, fin=0.9),
    "SOFI": eq(27, 0.55, mkt=1.5, fin=1.2, themes=0.3), "PLTR": eq(170, 0.55, mkt=1.5, tech=1.0, themes=0.4),
    "COIN": eq(200, 0.35, mkt=0.8, crypto=1.2, themes=0.2),
    "HOOD": eq(110, 0.40, mkt=1.3, crypto=0.5, themes=0.3, fin=0.3),
    "BABA": eq(150, 0.25, mkt=0.6, em=0.6, china=1.4),
    "EXC": eq(45, 0.20, mkt=0.5, defensive=1.0, rates=-3.0),
    "BWXT": eq(180, 0.30, mkt=1.0, themes=0.4), "KTOS": eq(90, 0.45, mkt=1.1, themes=0.5),
    "VTR": eq(80, 0.15, mkt=0.6, realestate=0.8, health=0.3, rates=-5.0),
    "WELL": eq(200, 0.15, mkt=0.6, realestate=0.8, health=0.3, rates=-5.0),
    "AA": eq(40, 0.45, mkt=1.3, oil=0.2, em=0.3), "ALGN": eq(150, 0.40, mkt=1.1, health=0.6),
    "AR": eq(35, 0.40, mkt=0.8, oil=0.6), "DAC": eq(90, 0.35, mkt=0.9, em=0.3),
    "DVAX": eq(11, 0.45, mkt=1.0, biotech=1.0), "ENPH": eq(35, 0.60, mkt=1.4, themes=0.5),
    "EQT": eq(55, 0.35, mkt=0.7, oil=0.5), "EXPO": eq(75, 0.28, mkt=1.0),
    "GNRC": eq(150, 0.40, mkt=1.2), "INFY": eq(18, 0.28, mkt=0.9, em=0.3, tech=0.4),
    "JKHY": eq(165, 0.22, mkt=0.8, fin=0.3), "JYNT": eq(10, 0.45, mkt=1.0, small=1.0),
    "LULU": eq(190, 0.38, mkt=1.2), "MNST": eq(70, 0.22, mkt=0.7, defensive=0.5),
    "MOS": eq(27, 0.38, mkt=0.9, oil=0.3), "OXY": eq(42, 0.30, mkt=0.9, oil=0.8),
    "PAYC": eq(160, 0.35, mkt=1.1, tech=0.4), "PCH": eq(42, 0.28, mkt=1.0, realestate=0.4),
    "ROST": eq(170, 0.25, mkt=1.0), "SFM": eq(100, 0.35, mkt=0.8, defensive=0.4),
    "SON": eq(45, 0.25, mkt=0.8), "SQM": eq(60, 0.45, mkt=1.0, em=0.5),
    "TPR": eq(120, 0.35, mkt=1.2), "VRTX": eq(460, 0.28, mkt=0.8, health=0.7),
    "ACHR": _theme(9), "JOBY": _theme(14), "EVTL": _theme(5, 0.8), "RCAT": _theme(8, 0.8),
    "ONDS": _theme(8, 0.8), "AIRO": _theme(20), "BBAI": _theme(6, 0.75), "OSS": _theme(7, 0.8),
    "OKLO": _theme(95), "SMR": _theme(22), "LEU": eq(250, 0.5, mkt=1.1, themes=0.9),
    "APLD": _theme(30), "NBIS": _theme(95), "RGTI": eq(25, 0.8, mkt=1.5, themes=1.2), "BE": _theme(110),
}

SPECS: dict[str, Spec] = {**_BROAD, **_BONDS, **_VIX, **_LEVERAGED, **_STOCKS}


def _unit(symbol: str, salt: str) -> float:
    """A stable number in [0, 1) from the symbol (sha256, not Python's salted hash)."""
    digest = hashlib.sha256(f"{salt}|{symbol}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def default_spec(symbol: str) -> Spec:
    """A plausible single stock for a ticker the table does not know."""
    beta = 0.8 + 0.7 * _unit(symbol, "beta")
    tech = round(0.8 * _unit(symbol, "tech"), 3)
    themes = round(0.5 * _unit(symbol, "themes"), 3)
    idio = round(0.30 + 0.40 * _unit(symbol, "idio"), 3)
    price = round(10 + 190 * _unit(symbol, "price"), 2)
    spec = eq(price, idio, mkt=round(beta, 3), tech=tech, themes=themes)
    return Spec(**{**spec.__dict__, "note": "default: ticker not in the instrument table"})


def spec_for(symbol: str) -> Spec:
    return SPECS.get(symbol) or default_spec(symbol)


def base_volume(symbol: str, spec: Spec) -> float:
    """Typical daily share volume: the table's, else a stable log-uniform draw."""
    if spec.volume:
        return spec.volume
    return float(10 ** (5.3 + 1.7 * _unit(symbol, "volume")))
