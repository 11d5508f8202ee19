"""Checks of the JSON contract shared by the fast tier and the kernel tier
(tests/unit/test_json_contract.py, tests/kernel/test_json_contract.py)."""

from __future__ import annotations

from typing import Any

# The keys the issue named, with the one type the contract gives them everywhere.
CONCEPT_TYPES = {
    "path": "string", "buf_type": "string", "capabilities": "array",
    "capabilities_raw": "number", "device_caps": "array", "buf_caps": "array",
    "field": "string", "flags": "array", "fourcc": "string", "frame_interval": "object",
    "error": "object", "cc_errors_by_pid": "array", "pid_packets": "array",
    "elapsed_s": "number", "time_s": "number",
}
# Spellings the contract replaced; none may come back.
OLD_KEYS = ("device", "queue", "monotonic", "time", "elapsed", "max_size", "arg",
            "frequency_min", "status_raw")


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def key_types(value: Any, where: str, seen: dict[str, dict[str, str]]) -> None:
    """Record, for every key anywhere in ``value``, each JSON type it has and the first
    document it had it in.  The ioctl log's ``args`` are skipped: they are the kernel
    header's members, named and typed per struct."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "args":
                continue
            kind = json_type(item)
            if kind != "null":
                seen.setdefault(key, {}).setdefault(kind, where)
            key_types(item, f"{where}.{key}", seen)
    elif isinstance(value, list):
        for item in value:
            key_types(item, where + "[]", seen)


def assert_one_key_one_type(seen: dict[str, dict[str, str]],
                            required: tuple[str, ...] = tuple(CONCEPT_TYPES)) -> None:
    """No key with two types; the named concepts with their type; no old spelling; every
    ``*_raw`` beside its decoded key."""
    mixed = {key: kinds for key, kinds in seen.items() if len(kinds) > 1}
    assert not mixed, f"keys with several types (key: type -> first document): {mixed}"
    for key in required:
        assert set(seen.get(key, {})) == {CONCEPT_TYPES[key]}, (key, seen.get(key))
    for old in OLD_KEYS:
        assert old not in seen, (old, seen[old])
    for key in seen:
        if key.endswith("_raw"):
            assert key.removesuffix("_raw") in seen, key
