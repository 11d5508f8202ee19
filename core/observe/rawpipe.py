"""The binary side of a tracefs instance: ``per_cpu/cpuN/trace_pipe_raw`` pages decoded
with the events' ``format`` files (the alternative to parsing ``trace_pipe`` text).

Layout (``Documentation/trace/ring-buffer-design.rst``, ``kernel/trace/ring_buffer.c``,
Linux 6.1; the page header's offsets come from ``events/header_page``):

* a page: ``u64 timestamp`` (the first event's time), ``local_t commit`` (bytes of
  event data; bit 31 set = events were lost before this page, bit 30 = their count is
  stored after the data), then the events;
* an event: a 32-bit header ``type_len:5, time_delta:27``; ``type_len`` 1..28 is a
  data record of ``4*type_len`` bytes; 0 a data record whose length (plus 4) is in
  the next word; 29 padding (length in the next word); 30 a time extension
  (``delta = word << 27 | time_delta``); 31 an absolute time stamp;
* a data record: ``common_type`` (u16, the event ID of its ``format`` file),
  ``common_flags``, ``common_preempt_count``, ``common_pid`` (i32), then the fields at
  the offsets its ``format`` file gives.

The record has no task name: it is read once per pid from ``/proc/PID/comm``.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from core.observe.events import V4L2_EVENTS, VB2_EVENTS, BufferEvent, EventKind

_FIELD = re.compile(r"field:(?P<decl>[^;]*);\s*offset:(?P<off>\d+);\s*size:(?P<size>\d+);"
                    r"\s*signed:(?P<signed>\d+);")
_INTS = {(1, 0): "B", (1, 1): "b", (2, 0): "H", (2, 1): "h", (4, 0): "I", (4, 1): "i",
         (8, 0): "Q", (8, 1): "q"}
RB_MISSED_EVENTS = 1 << 31
RB_MISSED_STORED = 1 << 30
_COMMIT_MASK = (1 << 30) - 1


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    size: int
    signed: bool


def parse_format(text: str) -> tuple[int, dict[str, Field]]:
    """``ID`` and fields (name -> Field) of an event ``format`` file."""
    event_id = int(re.search(r"^ID:\s*(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    fields = {}
    for m in _FIELD.finditer(text):
        decl = m["decl"].strip()
        name = decl.split()[-1].split("[")[0].lstrip("*")
        fields[name] = Field(name, int(m["off"]), int(m["size"]), m["signed"] == "1")
    return event_id, fields


_V4L2_FIELDS = ("minor", "index", "type", "bytesused", "flags", "field", "timestamp",
                "sequence")
_VB2_FIELDS = ("owner", "queued_count", "owned_by_drv_count", "index", "type", "bytesused",
               "timestamp")


class Decoder:
    """Turns one data record of one event into a :class:`BufferEvent`."""

    def __init__(self, kind: EventKind, fields: dict[str, Field]) -> None:
        self.kind = kind
        names = _V4L2_FIELDS if kind in (EventKind.QBUF, EventKind.DQBUF) else _VB2_FIELDS
        self.vb2 = names is _VB2_FIELDS
        fmt = "<"
        pos = 0
        order = []
        for f in sorted((fields[n] for n in ("common_pid", *names)), key=lambda f: f.offset):
            if f.offset < pos:
                raise ValueError(f"overlapping field {f.name}")
            fmt += "x" * (f.offset - pos) + _INTS[(f.size, 1 if f.signed else 0)]
            pos = f.offset + f.size
            order.append(f.name)
        self.struct = struct.Struct(fmt)
        self.order = tuple(order)

    def decode(self, data: bytes | memoryview, pos: int, time_ns: int,
               comm: Callable[[int], str]) -> BufferEvent:
        v = dict(zip(self.order, self.struct.unpack_from(data, pos), strict=True))
        pid = v["common_pid"]
        if self.vb2:
            return BufferEvent(time_ns, self.kind, -1, v["index"], v["type"], v["bytesused"],
                               0, 0, v["timestamp"], 0, pid, comm(pid), f"{v['owner']:016x}",
                               v["queued_count"], v["owned_by_drv_count"])
        return BufferEvent(time_ns, self.kind, v["minor"], v["index"], v["type"],
                           v["bytesused"], v["flags"], v["field"], v["timestamp"],
                           v["sequence"], pid, comm(pid))


def parse_page(page: bytes | memoryview, decoders: dict[int, Decoder],
               comm: Callable[[int], str], data_offset: int = 16
               ) -> tuple[list[BufferEvent], int]:
    """The events of one ring-buffer page, and the records lost before it (-1: some,
    count unknown)."""
    ts, commit = struct.unpack_from("<Qq", page, 0)
    length = commit & _COMMIT_MASK
    lost = 0
    if commit & RB_MISSED_EVENTS:
        lost = -1
        if commit & RB_MISSED_STORED and data_offset + length + 8 <= len(page):
            lost = struct.unpack_from("<Q", page, data_offset + length)[0]
    out: list[BufferEvent] = []
    pos = data_offset
    end = min(data_offset + length, len(page))
    unpack = struct.unpack_from
    while pos + 4 <= end:
        (head,) = unpack("<I", page, pos)
        type_len = head & 0x1F
        delta = head >> 5
        if type_len == 29:  # padding
            if delta == 0:
                break  # the rest of the page
            (size,) = unpack("<I", page, pos + 4)
            pos += 4 + size
            continue
        if type_len == 30:  # time extend
            (ext,) = unpack("<I", page, pos + 4)
            ts += (ext << 27) | delta
            pos += 8
            continue
        if type_len == 31:  # absolute time stamp
            (ext,) = unpack("<I", page, pos + 4)
            ts = (ext << 27) | delta
            pos += 8
            continue
        ts += delta
        if type_len == 0:
            (size,) = unpack("<I", page, pos + 4)
            start, size = pos + 8, size - 4
        else:
            start, size = pos + 4, type_len * 4
        (etype,) = unpack("<H", page, start)
        dec = decoders.get(etype)
        if dec is not None:
            out.append(dec.decode(page, start, ts, comm))
        pos = start + size
    return out, lost


class RawReader:
    """Reads every CPU's ``trace_pipe_raw`` of instance ``path`` (non-blocking)."""

    def __init__(self, root: str, path: str) -> None:
        self.decoders: dict[int, Decoder] = {}
        for group, names in (("v4l2", V4L2_EVENTS), ("vb2", VB2_EVENTS)):
            for name in names:
                with open(os.path.join(root, "events", group, name, "format")) as fh:
                    event_id, fields = parse_format(fh.read())
                self.decoders[event_id] = Decoder(EventKind(name), fields)
        with open(os.path.join(root, "events", "header_page")) as fh:
            _, hdr = parse_format("ID: 0\n" + fh.read())
        self.data_offset = hdr["data"].offset if "data" in hdr else 16
        self.page_size = os.sysconf("SC_PAGESIZE")
        self.fds: list[int] = []
        for cpu in sorted(os.listdir(os.path.join(path, "per_cpu"))):
            raw = os.path.join(path, "per_cpu", cpu, "trace_pipe_raw")
            self.fds.append(os.open(raw, os.O_RDONLY | os.O_NONBLOCK))
        self._comm: dict[int, str] = {0: "<idle>"}

    def comm(self, pid: int) -> str:
        name = self._comm.get(pid)
        if name is None:
            try:
                with open(f"/proc/{pid}/comm") as fh:
                    name = fh.read().strip()
            except OSError:
                name = "<...>"
            self._comm[pid] = name
        return name

    def read(self) -> tuple[list[BufferEvent], int]:
        events: list[BufferEvent] = []
        lost = 0
        for fd in self.fds:
            while True:
                try:
                    page = os.read(fd, self.page_size)
                except BlockingIOError:
                    break
                if not page:
                    break
                got, missed = parse_page(page, self.decoders, self.comm, self.data_offset)
                events.extend(got)
                lost += max(missed, 0) if missed != -1 else 1
        events.sort(key=lambda e: e.time_ns)  # merge the CPUs
        return events, lost

    def close(self) -> None:
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []


__all__ = ["Decoder", "RawReader", "parse_format", "parse_page"]
