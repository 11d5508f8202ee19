"""The DVB numbers option parsing needs, in a module that imports nothing.

The CLI builds every verb's parser at start-up; reading these from :mod:`core.dvb`
would import the ioctl layer for ``mediatui --help``.
"""

TS_PACKET = 188  # bytes in one MPEG transport stream packet (ISO/IEC 13818-1)
DVB_V2_MAX_SIZE = 4096 * TS_PACKET  # dvb_vb2.c clamps DMX_REQBUFS size to this
# The PID a PES filter uses to pass every PID: PIDs are 13 bits, and dvb_demux.c treats
# a feed on 0x2000 (one past the last) every packet (drivers/media/dvb-core/dvb_demux.c,
# dvb_dmx_swfilter_packet).
ALL_PIDS = 0x2000
