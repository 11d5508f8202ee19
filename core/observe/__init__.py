"""Observe a stream another process runs, read-only: kernel tracepoints (exact) or
QUERYBUF sampling (no privileges, approximate), both feeding one model.

Modules: :mod:`events` (the record), :mod:`tracefs` (the tracepoint source),
:mod:`sampler` (the QUERYBUF source), :mod:`virtual` (the virtual devices' events),
:mod:`model` (the model), :mod:`observer` (source choice and the loop),
:mod:`perfetto` (the trace file).
"""
