"""A valid MPEG transport stream, packet by packet, as a pure function of the packet index.

The virtual DVB adapter delivers what vidtv delivers (PIDs as seen on the test kernel):
one service, "Beethoven" (a radio programme), with its PAT (0x0000), SDT (0x0011) and
PMT (0x0101) repeated every ``si_period`` (40 ms), a PCR-only packet on 0x0200 as often,
an audio PES stream on 0x0111, and null packets (0x1FFF) that pad the multiplex up to
the configured bitrate.

Everything is periodic, so :meth:`TransportStream.packet` can compute packet ``n`` without
generating 0..n-1: every demux filter (each with its own cursor into the stream) sees the
same bytes at the same time, and continuity counters (per PID, modulo 16) are exact.
That is what the scenarios check: a 0x47 sync byte every 188 bytes and no continuity
error within a PID.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

TS_PACKET = 188
SYNC = 0x47
PID_PAT = 0x0000
PID_NIT = 0x0010
PID_SDT = 0x0011
PID_PMT = 0x0101
PID_AUDIO = 0x0111
PID_PCR = 0x0200
PID_NULL = 0x1FFF
PROGRAM = 0x0880
TSID = 0x0744
NETWORK_ID = 0x2000
SERVICE_NAME = b"Beethoven"
PROVIDER_NAME = b"LinuxTV.org"
STREAM_TYPE_MPEG1_AUDIO = 0x03
PSI_PIDS = (PID_PAT, PID_SDT, PID_PMT)  # one section packet each per cycle


def crc32_mpeg(data: bytes) -> int:
    """CRC-32/MPEG-2 (poly 0x04C11DB7, no reflection, init 0xFFFFFFFF, no xorout)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _section(table_id: int, table_ext: int, body: bytes) -> bytes:
    """A long-form PSI section with its CRC (section_syntax_indicator = 1)."""
    length = 5 + len(body) + 4
    head = bytes((table_id, 0xB0 | (length >> 8), length & 0xFF, table_ext >> 8,
                  table_ext & 0xFF, 0xC1, 0x00, 0x00))
    data = head + body
    return data + crc32_mpeg(data).to_bytes(4, "big")


def pat_section() -> bytes:
    """PAT: the network PID (programme 0, as vidtv lists it) and programme 1's PMT; 20
    bytes, the ``bytesused`` a PAT section filter sees on vidtv."""
    body = bytes((0x00, 0x00, 0xE0 | PID_NIT >> 8, PID_NIT & 0xFF,
                  PROGRAM >> 8, PROGRAM & 0xFF, 0xE0 | PID_PMT >> 8, PID_PMT & 0xFF))
    return _section(0x00, TSID, body)


def pmt_section() -> bytes:
    """PMT: the PCR PID and one MPEG-1 audio elementary stream."""
    body = bytes((0xE0 | PID_PCR >> 8, PID_PCR & 0xFF, 0xF0, 0x00,
                  STREAM_TYPE_MPEG1_AUDIO, 0xE0 | PID_AUDIO >> 8, PID_AUDIO & 0xFF,
                  0xF0, 0x00))
    return _section(0x02, PROGRAM, body)


def sdt_section() -> bytes:
    """SDT (actual TS): the one service with a service_descriptor (digital radio)."""
    descriptor = bytes((0x02, len(PROVIDER_NAME))) + PROVIDER_NAME + \
        bytes((len(SERVICE_NAME),)) + SERVICE_NAME
    descriptor = bytes((0x48, len(descriptor))) + descriptor
    service = bytes((PROGRAM >> 8, PROGRAM & 0xFF, 0xFC,
                     0x80 | len(descriptor) >> 8, len(descriptor) & 0xFF)) + descriptor
    body = bytes((NETWORK_ID >> 8, NETWORK_ID & 0xFF, 0xFF)) + service
    return _section(0x42, TSID, body)


def _header(pid: int, cc: int, *, start: bool, adaptation: bool = False) -> bytes:
    control = 0x30 if adaptation else 0x10  # adaptation + payload, or payload only
    return bytes((SYNC, (0x40 if start else 0) | pid >> 8, pid & 0xFF, control | (cc & 0xF)))


def psi_packet(pid: int, cc: int, section: bytes) -> bytes:
    payload = b"\x00" + section  # pointer_field 0
    return (_header(pid, cc, start=True) + payload).ljust(TS_PACKET, b"\xff")


NULL_PACKET = bytes((SYNC, PID_NULL >> 8, PID_NULL & 0xFF, 0x10)) + b"\xff" * 184


def _pts_bytes(pts: int) -> bytes:
    pts &= (1 << 33) - 1
    return bytes((
        0x21 | (pts >> 29) & 0x0E,
        (pts >> 22) & 0xFF,
        0x01 | (pts >> 14) & 0xFE,
        (pts >> 7) & 0xFF,
        0x01 | (pts << 1) & 0xFE,
    ))


def _pcr_bytes(pcr_27mhz: int) -> bytes:
    base, ext = divmod(pcr_27mhz, 300)
    base &= (1 << 33) - 1
    return bytes((
        (base >> 25) & 0xFF, (base >> 17) & 0xFF, (base >> 9) & 0xFF, (base >> 1) & 0xFF,
        ((base & 1) << 7) | 0x7E | (ext >> 8), ext & 0xFF,
    ))


@dataclass(frozen=True)
class TransportStream:
    """The multiplex: ``bitrate`` bits per second, PSI every ``si_period_ms``.

    One *cycle* is ``si_period_ms`` of stream: PAT, SDT, PMT, a PCR packet,
    ``audio_packets`` audio packets spread over the cycle, and nulls for the rest.
    """

    # vidtv's nominal mux rate is 4096 kB/s; on the test kernel (TCG) it delivered about
    # 192 packets per 40 ms cycle, 7.2 Mbit/s, and that is what the scenarios saw.
    bitrate: int = 192 * TS_PACKET * 8 * 25
    si_period_ms: int = 40
    audio_packets: int = 39  # about vidtv's share: 155 of 768 packets

    @cached_property
    def packets_per_cycle(self) -> int:
        per_second = self.bitrate / (TS_PACKET * 8)
        return max(4 + self.audio_packets, round(per_second * self.si_period_ms / 1000))

    @cached_property
    def _psi(self) -> dict[int, tuple[bytes, ...]]:
        """Section packets per PID for every continuity counter value (they repeat)."""
        sections = {PID_PAT: pat_section(), PID_SDT: sdt_section(), PID_PMT: pmt_section()}
        return {pid: tuple(psi_packet(pid, cc, sec) for cc in range(16))
                for pid, sec in sections.items()}

    @cached_property
    def _layout(self) -> tuple[tuple[int, int], ...]:
        """(pid, occurrence within the cycle) for every slot of a cycle."""
        slots: list[tuple[int, int]] = [(pid, 0) for pid in PSI_PIDS] + [(PID_PCR, 0)]
        rest = self.packets_per_cycle - len(slots)
        step = max(rest // max(self.audio_packets, 1), 1)
        audio = 0
        for i in range(rest):
            if i % step == 0 and audio < self.audio_packets:
                slots.append((PID_AUDIO, audio))
                audio += 1
            else:
                slots.append((PID_NULL, 0))
        return tuple(slots)

    def sections(self) -> dict[int, bytes]:
        """The PSI sections by PID (for section filters)."""
        return {PID_PAT: pat_section(), PID_SDT: sdt_section(), PID_PMT: pmt_section()}

    def packet_ns(self, n: int) -> int:
        """When packet ``n`` has been received completely (ns after the stream start);
        rounded up, so ``packets_before(packet_ns(n)) == n + 1`` exactly."""
        return -(-(n + 1) * TS_PACKET * 8 * 1_000_000_000 // self.bitrate)

    def packets_before(self, elapsed_ns: int) -> int:
        """How many whole packets have arrived ``elapsed_ns`` after the stream start."""
        return max(0, elapsed_ns * self.bitrate // (TS_PACKET * 8 * 1_000_000_000))

    def pid_of(self, n: int) -> int:
        return self._layout[n % self.packets_per_cycle][0]

    def packet(self, n: int) -> bytes:
        """The 188 bytes of packet ``n`` (continuity counters exact per PID)."""
        cycle, slot = divmod(n, self.packets_per_cycle)
        pid, occurrence = self._layout[slot]
        if pid in self._psi:
            return self._psi[pid][cycle & 0xF]
        if pid == PID_PCR:
            return self._pcr(cycle, n)
        if pid == PID_NULL:
            return NULL_PACKET
        return self._audio(cycle * self.audio_packets + occurrence, n)

    def _pcr(self, cycle: int, n: int) -> bytes:
        """An adaptation-field-only packet carrying the PCR (CC does not advance)."""
        adaptation = bytes((183, 0x10)) + _pcr_bytes(self.packet_ns(n) * 27 // 1000)
        head = bytes((SYNC, PID_PCR >> 8, PID_PCR & 0xFF, 0x20))
        return (head + adaptation).ljust(TS_PACKET, b"\xff")

    def _audio(self, index: int, n: int) -> bytes:
        """Audio packet number ``index``: each starts a small PES packet."""
        pts = self.packet_ns(n) * 9 // 100_000 + 90 * 100  # 100 ms ahead, 90 kHz
        payload_room = TS_PACKET - 4
        pes_header = b"\x00\x00\x01\xc0" + (payload_room - 6).to_bytes(2, "big") + \
            bytes((0x80, 0x80, 0x05)) + _pts_bytes(pts)
        frame = bytes(((index + i) & 0xFF) for i in range(payload_room - len(pes_header)))
        return _header(PID_AUDIO, index, start=True) + pes_header + frame

    def packets(self, start: int, count: int) -> bytes:
        return b"".join(self.packet(n) for n in range(start, start + count))


def check_stream(data: bytes) -> dict[int, int]:
    """Validate TS bytes: sync every 188 and continuous counters per PID.

    Returns packets per PID; raises ValueError on the first problem (for tests).
    """
    if len(data) % TS_PACKET:
        raise ValueError(f"{len(data)} bytes is not a whole number of packets")
    counters: dict[int, int] = {}
    seen: dict[int, int] = {}
    for off in range(0, len(data), TS_PACKET):
        pkt = data[off:off + TS_PACKET]
        if pkt[0] != SYNC:
            raise ValueError(f"no sync byte at offset {off}")
        pid = (pkt[1] & 0x1F) << 8 | pkt[2]
        seen[pid] = seen.get(pid, 0) + 1
        if pid == PID_NULL or not pkt[3] & 0x10:
            continue
        cc = pkt[3] & 0xF
        if pid in counters and (counters[pid] + 1) & 0xF != cc:
            raise ValueError(f"continuity error on PID {pid:#x} at offset {off}")
        counters[pid] = cc
    return seen


def section_crc_ok(section: bytes) -> bool:
    return crc32_mpeg(section) == 0


__all__ = [
    "PID_AUDIO",
    "PID_NULL",
    "PID_PAT",
    "PID_PCR",
    "PID_PMT",
    "PID_SDT",
    "TS_PACKET",
    "TransportStream",
    "check_stream",
    "crc32_mpeg",
    "pat_section",
    "pmt_section",
    "sdt_section",
    "section_crc_ok",
]
