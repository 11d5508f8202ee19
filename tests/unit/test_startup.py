"""Start-up cost: what a verb imports is what it uses (issue: start-up near the interpreter)."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_version_loads_neither_argparse_nor_core() -> None:
    mods = _modules_after(
        "import contextlib, io\n"
        "from mediatui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['--version']) == 0\n"
        "assert out.getvalue().startswith('mediatui '), out.getvalue()\n"
    )
    assert "argparse" not in mods
    assert not {m for m in mods if m == "core" or m.startswith("core.")}


# What building every verb's parser (`mediatui --help`, and the start of every verb) may
# import from the project: nothing that opens a node, explains an error or reads a schema
# (core.limits: the option bounds, from the standard library and core.dvblimits only).
PARSER_MAY_IMPORT = {"core", "core.dvblimits", "core.limits", "core.untrusted"}


def test_building_the_parsers_imports_no_verb_machinery() -> None:
    mods = _modules_after("from mediatui.cli import build_parser\nbuild_parser()")
    loaded_core = {m for m in mods if m == "core" or m.startswith("core.")}
    assert loaded_core <= PARSER_MAY_IMPORT, sorted(loaded_core - PARSER_MAY_IMPORT)
    heavy = {"textual", "rich", "pyudev", "jsonschema", "ctypes"}
    assert not heavy & {m.split(".")[0] for m in mods}, sorted(heavy & mods)


def test_list_loads_neither_pyudev_nor_dataclasses_nor_typing() -> None:
    """`mediatui list` reads udevd's database itself (no pyudev, no sockets) and its
    value classes are core.record's (dataclasses imports inspect and execs code);
    typing is for type checkers only."""
    mods = _modules_after(
        "import contextlib, io\n"
        "from mediatui.cli import main\n"
        "quiet = contextlib.redirect_stdout(io.StringIO())\n"
        "with quiet, contextlib.redirect_stderr(io.StringIO()):\n"
        "    assert main(['list', '--json']) == 0\n"
    )
    assert not {"pyudev", "socket", "dataclasses", "inspect", "shutil", "typing"} & mods


def test_info_on_a_video_node_loads_no_dvb_module_dataclasses_or_typing() -> None:
    """What `mediatui info /dev/videoN` imports (the verb's modules and the video device
    class; the node itself needs the kernel tier): no DVB module, no dataclasses, no
    typing, no fractions."""
    mods = _modules_after(
        "from mediatui.cli import build_parser\n"
        "build_parser('info')\n"
        "from core.service.inspection import describe\n"
        "from core.service.session import Session, node_class\n"
        "from mediatui.verbs.render import render_info\n"
        "assert node_class('/dev/video7').__name__ == 'VideoDevice'\n"
    )
    assert not {m for m in mods if m in ("core.dvb", "core.abi.dvb", "core.dvb_stats")}
    assert not {"dataclasses", "inspect", "typing", "fractions"} & mods
