"""The media graphs vivid, vim2m and vidtv register, built over the board's virtual nodes.

Each builder adds entities, pads, links and interfaces in the order the 6.1 driver
registers them, so ids come out as on the test kernel (checked there by the
``media_graphs`` scenario, ``tests/scenarios/media_graphs.py``):

* vivid (``vivid-core.c`` ``vivid_create_devnodes``): one I/O entity per video node,
  named as the node (``vivid-000-vid-cap``), one pad (SINK for capture, SOURCE for
  output), no data links; ``video_register_media_controller`` (``v4l2-dev.c``) adds
  the node's ``V4L_VIDEO`` interface and links it to the entity.
* vim2m (``v4l2-mem2mem.c`` ``v4l2_m2m_register_media_controller``): ``vim2m-source``
  (IO_V4L, one SOURCE pad), ``vim2m-proc`` (PROC_VIDEO_SCALER, SINK + SOURCE),
  ``vim2m-sink`` (IO_V4L, one SINK pad), enabled immutable data links source:0 ->
  proc:0 and proc:1 -> sink:0, and one ``V4L_VIDEO`` interface linked to source and sink.
* vidtv (``dvbdev.c`` ``dvb_register_media_device``): see :func:`vidtv_graph`.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.abi import media as m
from core.virtual.media import FIXED, MediaGraph, MediaNode
from core.virtual.node import Node

SINK, SOURCE = m.MEDIA_PAD_FL_SINK, m.MEDIA_PAD_FL_SOURCE


def vivid_graph(nodes: Sequence[Node]) -> MediaGraph:
    """One vivid instance's graph over ``nodes`` (its video nodes in registration order:
    capture before output).  An output node is recognised by ``is_output``."""
    g = MediaGraph()
    for node in nodes:
        pad = SOURCE if getattr(node, "is_output", False) else SINK
        entity = g.add(node.name, m.MEDIA_ENT_F_IO_V4L, [pad])
        g.intf_link(g.interface(m.MEDIA_INTF_T_V4L_VIDEO, node), entity)
    return g


def vim2m_graph(node: Node) -> MediaGraph:
    """vim2m's source/proc/sink graph around its one video node."""
    g = MediaGraph()
    source = g.add(f"{node.name}-source", m.MEDIA_ENT_F_IO_V4L, [SOURCE])
    proc = g.add(f"{node.name}-proc", m.MEDIA_ENT_F_PROC_VIDEO_SCALER, [SINK, SOURCE])
    sink = g.add(f"{node.name}-sink", m.MEDIA_ENT_F_IO_V4L, [SINK])
    g.link(source, 0, proc, 0, FIXED)
    g.link(proc, 1, sink, 0, FIXED)
    intf = g.interface(m.MEDIA_INTF_T_V4L_VIDEO, node)
    g.intf_link(intf, source)
    g.intf_link(intf, sink)
    return g


DEMUX_TSOUT, DVR_TSOUT = "demux-tsout", "dvr-tsout"
VIDTV_FILTERS = 256  # vidtv_bridge.c: dmx_dev.filternum


def vidtv_graph(frontend: Node, demux: Node, dvr: Node, frontend_name: str,
                filters: int = VIDTV_FILTERS) -> MediaGraph:
    """vidtv's adapter graph as ``dvbdev.c`` ``dvb_register_media_device`` builds it, in
    registration order:

    * the frontend (``dvb_register_frontend``): a DTV_DEMOD entity named as the
      frontend (FE_GET_INFO's name), SINK + SOURCE pads, its ``DVB_FE`` interface
      linked to it;
    * the demux (``dvb_dmxdev_init``, ``filternum`` sink pads): ``filters`` IO_DTV
      entities ``demux-tsout #N`` (one SINK pad each), then the TS_DEMUX entity
      ``dvb-demux`` (SINK pad 0, SOURCE pads 1..filters) and its ``DVB_DEMUX``
      interface linked to it;
    * the dvr: ``filters`` IO_DTV ``dvr-tsout #N`` entities and the ``DVB_DVR``
      interface, with no entity of its own and so no link.

    vidtv never calls ``dvb_create_media_graph``, so there are no data links and no
    links to the ts-out entities: on the 6.1 test kernel the graph has exactly the two
    interface links (seen with media-ctl -p: every entity "0 link").
    """
    g = MediaGraph()
    demod = g.add(frontend_name, m.MEDIA_ENT_F_DTV_DEMOD, [SINK, SOURCE])
    g.intf_link(g.interface(m.MEDIA_INTF_T_DVB_FE, frontend), demod)
    for i in range(filters):
        g.add(f"{DEMUX_TSOUT} #{i}", m.MEDIA_ENT_F_IO_DTV, [SINK])
    demux_entity = g.add("dvb-demux", m.MEDIA_ENT_F_TS_DEMUX, [SINK] + [SOURCE] * filters)
    g.intf_link(g.interface(m.MEDIA_INTF_T_DVB_DEMUX, demux), demux_entity)
    for i in range(filters):
        g.add(f"{DVR_TSOUT} #{i}", m.MEDIA_ENT_F_IO_DTV, [SINK])
    g.interface(m.MEDIA_INTF_T_DVB_DVR, dvr)
    return g


def media_node(path: str, driver: str, bus_info: str, graph: MediaGraph,
               members: Sequence[Node]) -> MediaNode:
    """The ``/dev/mediaN`` of ``graph``; each of ``members`` learns it as its media node
    (what sysfs shows as ``device/mediaN`` beside the node)."""
    node = MediaNode(path, driver, driver, bus_info, graph=graph)
    for member in members:
        member.media_path = path
    return node


__all__ = ["media_node", "vidtv_graph", "vim2m_graph", "vivid_graph"]
