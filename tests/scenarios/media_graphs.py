"""The media graphs of vivid, vim2m and vidtv, read through the service layer: the same
entities, functions, pads, data links and devnode interfaces on the kernel's drivers and
on the virtual ones (``core/virtual/mc_graphs.py``).

Only what both must agree on is checked: the real vivid also has vbi, radio, sdr, meta
and touch nodes that the virtual boards leave out, and ids differ between boards."""

from __future__ import annotations

from core.abi import media as m
from core.media.model import Entity, Topology
from core.service import topology as svc
from scenarios import Rig, scenario

SINK, SOURCE = m.MEDIA_PAD_FL_SINK, m.MEDIA_PAD_FL_SOURCE
FIXED = m.MEDIA_LNK_FL_ENABLED | m.MEDIA_LNK_FL_IMMUTABLE
VIVID_IO = {m.MEDIA_ENT_F_IO_V4L, m.MEDIA_ENT_F_IO_VBI, m.MEDIA_ENT_F_IO_SWRADIO}


def _graph(node: str) -> Topology:
    """The graph ``node`` belongs to, through the Topology tab's service call (which
    also checks every video node's pipeline: that must not fail either)."""
    snap = svc.snapshot(node)
    assert snap is not None, f"{node} has no media device"
    assert all(c.ok for c in snap.checks), [p.message for c in snap.checks for p in c.problems]
    doc = svc.topology_document(snap.topology)
    assert doc["schema"] == "mediatui.topology/1"
    topo = snap.topology
    # media_gobj_gen_id: the object type in the id's top 8 bits.
    assert {e.id >> 24 for e in topo.entities} == {0}
    assert {p.id >> 24 for e in topo.entities for p in e.pads} <= {1}
    assert {lk.id >> 24 for lk in topo.links} <= {2}
    assert {i.id >> 24 for i in topo.interfaces} == {3}
    return topo


def _pad_flags(e: Entity) -> list[int]:
    return [p.flags & (SINK | SOURCE) for p in e.pads]


def _data_links(topo: Topology) -> set[tuple[str, int, str, int, int]]:
    out = set()
    for lk in topo.data_links:
        src, snk = topo.pad(lk.source_id), topo.pad(lk.sink_id)
        out.add((topo.entity(src.entity_id).name, src.index,
                 topo.entity(snk.entity_id).name, snk.index, lk.flags))
    return out


def _interface_links(topo: Topology) -> dict[str | None, tuple[int, set[str]]]:
    """devnode -> (interface type, names of the entities its interface links reach)."""
    by_id = {i.id: i for i in topo.interfaces}
    out: dict[str | None, tuple[int, set[str]]] = {
        i.devnode: (i.intf_type, set()) for i in topo.interfaces}
    for lk in topo.links:
        if lk.kind == "INTERFACE_LINK":
            assert lk.flags & FIXED == FIXED, lk
            intf = by_id[lk.source_id]
            out[intf.devnode][1].add(topo.entity(lk.sink_id).name)
    return out


@scenario
def scenario_vivid_media_graph(rig: Rig) -> None:
    """vivid: one I/O entity per node (SINK pad for capture, SOURCE for output), each
    with its own devnode interface, no data links; capture and output share one graph."""
    media = svc.media_of(rig.capture)
    assert media is not None and svc.media_of(rig.output) == media
    topo = _graph(rig.capture)
    assert topo.info.driver == "vivid"
    assert topo.info.bus_info.startswith("platform:vivid-")
    instance = topo.info.bus_info.removeprefix("platform:")
    assert not topo.data_links
    intfs = _interface_links(topo)
    for e in topo.entities:
        assert e.name.startswith(instance + "-"), e.name
        assert e.function in VIVID_IO, (e.name, e.function)
        assert _pad_flags(e) in ([SINK], [SOURCE]), (e.name, _pad_flags(e))
        assert sum(e.name in names for _t, names in intfs.values()) == 1, e.name
    for node, kind, pad in ((rig.capture, "vid-cap", SINK), (rig.output, "vid-out", SOURCE)):
        entity = topo.entity_of_devnode(node)
        assert entity is not None, f"{node} is no entity of {media}"
        assert entity.name == f"{instance}-{kind}"
        assert entity.function == m.MEDIA_ENT_F_IO_V4L
        assert _pad_flags(entity) == [pad]
        assert intfs[node] == (m.MEDIA_INTF_T_V4L_VIDEO, {entity.name})


@scenario
def scenario_vivid_instances_have_own_graphs(rig: Rig) -> None:
    """Each vivid instance has its own media device (all on the one platform device
    vivid.0): the multiplanar instance's capture belongs to its own graph."""
    first, second = svc.media_of(rig.capture), svc.media_of(rig.capture_mplane)
    assert first is not None and second is not None and first != second
    topo = _graph(rig.capture_mplane)
    entity = topo.entity_of_devnode(rig.capture_mplane)
    assert entity is not None
    assert entity.name == topo.info.bus_info.removeprefix("platform:") + "-vid-cap"
    assert _graph(rig.capture).info.bus_info != topo.info.bus_info


@scenario
def scenario_vim2m_media_graph(rig: Rig) -> None:
    """vim2m (v4l2_m2m_register_media_controller): source -> proc (scaler) -> sink with
    enabled immutable links; the one video interface reaches source and sink."""
    topo = _graph(rig.m2m)
    assert topo.info.driver == "vim2m"
    shape = [(e.name, e.function, _pad_flags(e)) for e in topo.entities]
    assert shape == [
        ("vim2m-source", m.MEDIA_ENT_F_IO_V4L, [SOURCE]),
        ("vim2m-proc", m.MEDIA_ENT_F_PROC_VIDEO_SCALER, [SINK, SOURCE]),
        ("vim2m-sink", m.MEDIA_ENT_F_IO_V4L, [SINK]),
    ]
    assert _data_links(topo) == {("vim2m-source", 0, "vim2m-proc", 0, FIXED),
                                 ("vim2m-proc", 1, "vim2m-sink", 0, FIXED)}
    assert _interface_links(topo) == {
        rig.m2m: (m.MEDIA_INTF_T_V4L_VIDEO, {"vim2m-source", "vim2m-sink"})}
    assert svc.video_nodes(topo) == [rig.m2m]  # one node, though two entities reach it


@scenario
def scenario_vidtv_media_graph(rig: Rig) -> None:
    """vidtv (dvbdev.c dvb_register_media_device; vidtv never calls
    dvb_create_media_graph): the demod, ``filternum`` demux-tsout and dvr-tsout
    entities and the demux with one sink and ``filternum`` source pads, no data links;
    the frontend and demux interfaces linked to their entity, the dvr's to none."""
    topo = _graph(rig.frontend)
    assert svc.media_of(rig.demux) == svc.media_of(rig.dvr) == svc.media_of(rig.frontend)
    assert topo.info.driver == "vidtv"
    by_function: dict[int, list[Entity]] = {}
    for e in topo.entities:
        by_function.setdefault(e.function, []).append(e)
    assert set(by_function) == {m.MEDIA_ENT_F_DTV_DEMOD, m.MEDIA_ENT_F_TS_DEMUX,
                                m.MEDIA_ENT_F_IO_DTV}
    (demod,) = by_function[m.MEDIA_ENT_F_DTV_DEMOD]
    (demux,) = by_function[m.MEDIA_ENT_F_TS_DEMUX]
    assert demux.name == "dvb-demux"
    assert _pad_flags(demod) == [SINK, SOURCE]
    flags = _pad_flags(demux)
    assert flags[0] == SINK and set(flags[1:]) == {SOURCE}
    filters = len(flags) - 1
    assert filters == 256  # vidtv_bridge.c: dmx_dev.filternum
    names = [e.name for e in topo.entities]
    demux_out = [f"demux-tsout #{i}" for i in range(filters)]
    dvr_out = [f"dvr-tsout #{i}" for i in range(filters)]
    assert names == [demod.name, *demux_out, demux.name, *dvr_out]  # registration order
    assert all(_pad_flags(e) == [SINK] for e in by_function[m.MEDIA_ENT_F_IO_DTV])
    assert not topo.data_links
    assert _interface_links(topo) == {
        rig.frontend: (m.MEDIA_INTF_T_DVB_FE, {demod.name}),
        rig.demux: (m.MEDIA_INTF_T_DVB_DEMUX, {demux.name}),
        rig.dvr: (m.MEDIA_INTF_T_DVB_DVR, set()),
    }
