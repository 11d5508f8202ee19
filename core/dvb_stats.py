"""DVB frontend statistics (DVBv5 ``DTV_STAT_*``) decoded with the scale the kernel gives.

One ``FE_GET_PROPERTY`` asks for all eight statistics; each answer is a
``struct dtv_fe_stats``: ``len`` entries, entry 0 for the whole signal and any further
ones per layer (ISDB-T), each with its ``FE_SCALE_*``
(Documentation/userspace-api/media/dvb/frontend-stat-properties.rst):

* ``FE_SCALE_DECIBEL``: ``svalue`` in 0.001 dB (dBm for signal strength);
* ``FE_SCALE_RELATIVE``: ``uvalue`` from 0 (none) to 65535 (the most);
* ``FE_SCALE_COUNTER``: ``uvalue``, a counter that only grows (bit/block counts);
* ``FE_SCALE_NOT_AVAILABLE``: nothing measured (yet): reported as ``None``, never 0.

The bit error rates are the counters' ratio since the driver started counting (the
kernel gives cumulative counts; a tool that shows a rate per interval, as
``dvb-fe-tool`` does, takes the difference of two reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.abi import dvb as d

# The kernel's names (enum fecap_scale_params), e.g. 1 -> FE_SCALE_DECIBEL.
SCALE_NAMES: dict[int, str] = {int(m): m.name for m in d.FecapScaleParams}

# (our key, DTV_STAT_* command), in the order FE_GET_PROPERTY asks for them.
STAT_COMMANDS: tuple[tuple[str, int], ...] = (
    ("signal_strength", d.DTV_STAT_SIGNAL_STRENGTH),
    ("cnr", d.DTV_STAT_CNR),
    ("pre_error_bit_count", d.DTV_STAT_PRE_ERROR_BIT_COUNT),
    ("pre_total_bit_count", d.DTV_STAT_PRE_TOTAL_BIT_COUNT),
    ("post_error_bit_count", d.DTV_STAT_POST_ERROR_BIT_COUNT),
    ("post_total_bit_count", d.DTV_STAT_POST_TOTAL_BIT_COUNT),
    ("error_block_count", d.DTV_STAT_ERROR_BLOCK_COUNT),
    ("total_block_count", d.DTV_STAT_TOTAL_BLOCK_COUNT),
)


@dataclass(frozen=True, slots=True)
class Stat:
    """One ``struct dtv_stats``: the scale and the raw value (``svalue`` for decibels,
    ``uvalue`` otherwise; 0 when not available)."""

    scale: int
    value: int

    @property
    def available(self) -> bool:
        return self.scale != d.FE_SCALE_NOT_AVAILABLE

    @property
    def scale_name(self) -> str:
        return SCALE_NAMES.get(self.scale, f"FE_SCALE_{self.scale}")

    def decibels(self) -> float | None:
        return self.value / 1000 if self.scale == d.FE_SCALE_DECIBEL else None

    def relative(self) -> float | None:
        """0.0 .. 1.0 of the scale's 65535."""
        return round(self.value / 65535, 4) if self.scale == d.FE_SCALE_RELATIVE else None

    def count(self) -> int | None:
        return self.value if self.scale == d.FE_SCALE_COUNTER else None


NOT_AVAILABLE = Stat(d.FE_SCALE_NOT_AVAILABLE, 0)


@dataclass(frozen=True, slots=True)
class FrontendStats:
    """Every ``DTV_STAT_*`` of a frontend at one moment: ``stats[key]`` is a tuple of
    :class:`Stat` (index 0 the global value, further ones per layer; empty when the
    driver reports ``len`` 0)."""

    stats: dict[str, tuple[Stat, ...]]

    def first(self, key: str) -> Stat:
        values = self.stats.get(key, ())
        return values[0] if values else NOT_AVAILABLE

    def ber(self, prefix: str) -> float | None:
        """``pre``/``post`` Viterbi bit error ratio from the two counters, or None."""
        errors = self.first(f"{prefix}_error_bit_count").count()
        total = self.first(f"{prefix}_total_bit_count").count()
        return errors / total if errors is not None and total else None

    def as_dict(self) -> dict[str, Any]:
        """Flat JSON keys with units: ``signal_strength_dbm`` or ``_relative`` (0..1),
        ``cnr_db`` or ``cnr_relative``, the counters, ``pre_ber``/``post_ber``; ``None``
        where the kernel says FE_SCALE_NOT_AVAILABLE.  ``<stat>_scale`` names each
        scale as the kernel does (``cnr_scale``: ``FE_SCALE_DECIBEL``…); ``layers``
        counts the per-layer entries when there are any."""
        strength, cnr = self.first("signal_strength"), self.first("cnr")
        out: dict[str, Any] = {
            "signal_strength_dbm": strength.decibels(),
            "signal_strength_relative": strength.relative(),
            "cnr_db": cnr.decibels(),
            "cnr_relative": cnr.relative(),
        }
        for key, _cmd in STAT_COMMANDS[2:]:
            out[key] = self.first(key).count()
        out["pre_ber"] = self.ber("pre")
        out["post_ber"] = self.ber("post")
        for key, _cmd in STAT_COMMANDS:
            out[f"{key}_scale"] = self.first(key).scale_name
        layers = max((len(v) for v in self.stats.values()), default=0)
        if layers > 1:
            out["layers"] = layers - 1
        return out

    def summary(self) -> str:
        """One line for people: ``signal -42.0 dBm  C/N 28.1 dB  pre-BER n/a …``."""

        def level(stat: Stat, unit: str) -> str:
            if stat.scale == d.FE_SCALE_DECIBEL:
                return f"{stat.value / 1000:.2f} {unit}"
            if stat.scale == d.FE_SCALE_RELATIVE:
                return f"{stat.value * 100 / 65535:.1f} %"
            return "n/a"

        def ratio(prefix: str) -> str:
            ber = self.ber(prefix)
            return "n/a" if ber is None else f"{ber:.2e}"

        ucb = self.first("error_block_count").count()
        return (f"signal {level(self.first('signal_strength'), 'dBm')}  "
                f"C/N {level(self.first('cnr'), 'dB')}  pre-BER {ratio('pre')}  "
                f"post-BER {ratio('post')}  uncorrected blocks "
                f"{'n/a' if ucb is None else ucb}")


def decode(props: list[d.dtv_property]) -> FrontendStats:
    """The answers of an ``FE_GET_PROPERTY`` for :data:`STAT_COMMANDS` (same order).

    A ``len`` larger than ``MAX_DTV_STATS`` (a broken driver) is cut to it."""
    stats: dict[str, tuple[Stat, ...]] = {}
    for (key, _cmd), prop in zip(STAT_COMMANDS, props, strict=True):
        st = prop.u.st
        values = []
        for i in range(min(st.len, d.MAX_DTV_STATS)):
            entry = st.stat[i]
            raw = entry.svalue if entry.scale == d.FE_SCALE_DECIBEL else entry.uvalue
            values.append(Stat(entry.scale, raw if entry.scale != 0 else 0))
        stats[key] = tuple(values)
    return FrontendStats(stats)


__all__ = ["NOT_AVAILABLE", "SCALE_NAMES", "STAT_COMMANDS", "FrontendStats", "Stat", "decode"]
