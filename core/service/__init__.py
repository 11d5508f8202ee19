"""The service layer: what the TUI and the CLI verbs both do with devices, written once.

No Textual or Rich here (a test imports every module in a fresh interpreter to check).
Each module is one area; its functions take the :class:`Session` that owns the fds and
return frozen values (or raise :class:`core.errors.MediaError`, already explained):

- :mod:`core.service.session`: :class:`Session` (open nodes, exports, dma-buf
  allocations) and the frozen :class:`DeviceView` the buffer panels show;
- :mod:`core.service.inspection`: :func:`inspect`, a node's info and probe;
- :mod:`core.service.buffers`: request, create, free, query, map, export, close, import;
- :mod:`core.service.stream`: :class:`StreamSpec`, :class:`StreamRun` (set-up and
  teardown of capture, output, mem2mem, pipelines and DVB with tuning), :func:`run_stream`;
- :mod:`core.service.attach`: observe, read-only, a stream another process runs
  (:mod:`core.observe`), its ``mediatui.attach/1`` document and Perfetto trace;
- :mod:`core.service.holders`: who holds every media node and dma-buf (a /proc, maps
  and debugfs scan, :func:`holders_roots` for ``--demo``), for ``who``/``dmabufs``
  and the Holders view;
- :mod:`core.service.jsondoc`: the JSON contract (``"schema": "mediatui.<doc>/1"``),
  the shipped schemas in ``schemas/`` and their validation.

Nothing is re-exported here: importing one module (``jsondoc`` for every ``--json``)
must not import the others, which cost start-up.
"""
