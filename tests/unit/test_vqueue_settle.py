"""VideoQueue.settle replays logged QBUF/DQBUF events exactly as recording each one at
once did (the code before the log, kept here as the reference): random event
sequences with sequence gaps, starvation, multi-planar sizes and settles at random
points end with the same statistics, depth and per-buffer facts."""

from __future__ import annotations

import random
from typing import Any

from core.stream.stats import DepthTracker, FrameStats
from core.stream.vqueue import VideoQueue

N = 4  # buffers


def _queue(mplane: bool) -> Any:
    """A VideoQueue's bookkeeping alone (no device: the events are logged by hand)."""
    q: Any = VideoQueue.__new__(VideoQueue)
    q.state, q.seq, q.stamp = [0] * N, [0] * N, [0.0] * N
    q.flags, q.field, q.used = [0] * N, [0] * N, [(0,)] * N
    q.in_driver, q._log, q.mplane = 0, [], mplane
    q.stats, q.depth = FrameStats(), DepthTracker()
    return q


def _record_qbuf(q: Any, now: float) -> None:
    """What VideoQueue.queue recorded per QBUF before the log (e63e4fd)."""
    q.in_driver += 1
    q.depth.set(q.in_driver, now)


def _record_dqbuf(q: Any, fields: tuple[int, ...], used: tuple[int, ...] | None,
                  now: float) -> None:
    """What VideoQueue.dequeue recorded per DQBUF before the log (e63e4fd)."""
    i, total, flags, field, sec, usec, seq = fields
    stamp = sec + usec * 1e-6
    if used is None:
        used = (total,)
    else:
        total = sum(used)
    q.state[i], q.seq[i], q.stamp[i], q.flags[i], q.field[i], q.used[i] = (
        0, seq, stamp, flags, field, used)
    depth = q.depth
    starved = depth.low == 0
    q.in_driver -= 1
    depth.set(q.in_driver, now)
    depth.low = q.in_driver
    before = q.stats.drops
    q.stats.add(seq, stamp, now, flags, field, total)
    if q.stats.drops != before and not starved:
        q.stats.drops_queued += q.stats.drops - before


def _facts(q: Any, now: float) -> tuple[object, ...]:
    return (q.stats.freeze(now), q.depth.sample(now), q.seq[:], q.stamp[:], q.flags[:],
            q.field[:], q.used[:], q.in_driver)


def test_replay_equals_recording_each_event() -> None:
    starved_drops = 0
    for trial in range(400):
        rng = random.Random(trial)
        mplane = rng.random() < 0.3
        ref, ours = _queue(mplane), _queue(mplane)
        now, seq = 1.0, 0
        free, queued = list(range(N)), []
        for _ in range(rng.randint(0, N)):  # priming, as start() does
            queued.append(free.pop())
            _record_qbuf(ref, now)
            ours.in_driver += 1
            ours._log.append(now)
        ours.settle()
        ref.depth.start(ref.in_driver, now)
        ours.depth.start(ours.in_driver, now)
        for _ in range(rng.randint(1, 200)):
            now += rng.random() * 0.1
            r = rng.random()
            if r < 0.45 and queued:  # DQBUF, sometimes after frames lost
                i = queued.pop(0)
                seq += 1 + (rng.random() < 0.2) * rng.randint(1, 3)
                fields = (i, rng.randint(0, 1000), rng.choice([0, 1, 0x40, 0x2000]), 1,
                          int(now), rng.randint(0, 999999), seq)
                used = tuple(rng.randint(0, 99) for _ in range(2)) if mplane else None
                _record_dqbuf(ref, fields, used, now)
                ours.in_driver -= 1
                ours._log.append((fields, used, now))
                free.append(i)
            elif free and r < 0.9:  # QBUF
                queued.append(free.pop(0))
                _record_qbuf(ref, now)
                ours.in_driver += 1
                ours._log.append(now)
            else:  # a snapshot reads everything
                ours.settle()
                assert _facts(ours, now) == _facts(ref, now), trial
        ours.settle()
        assert _facts(ours, now) == _facts(ref, now), trial
        assert not ours._log
        starved_drops += ref.stats.drops - ref.stats.drops_queued
    assert starved_drops > 0  # the starvation branch was taken
