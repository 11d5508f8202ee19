"""What v4l2-ctl users expect of a command line: ``-d``, bare numbers, examples, exit codes.

* Every verb with a positional ``device`` also takes ``-d/--device`` (v4l2-ctl,
  media-ctl and yavta spell it so), and a bare number means ``/dev/videoN``
  (v4l2-ctl's ``-d 0``).  :func:`add_device_option` adapts a verb's parser after the
  verb built it; :func:`resolve_device` merges the two spellings after parsing.
* :func:`add_epilog` gives every verb's ``--help`` two or three examples and the exit
  codes (the same table as the man page, which is generated from this parser).
* Device arguments complete to the media nodes present (``shtab`` completion).
"""

from __future__ import annotations

import argparse
import re

TYPE_CHECKING = False  # not typing's: importing typing costs start-up time (see cli.py)
if TYPE_CHECKING:
    from typing import Any

EXIT_CODES = (
    "exit codes:\n"
    "  0    success\n"
    "  1    a device or runtime failure (ioctl error, device gone, no lock, a stream\n"
    "       that received no data)\n"
    "  2    a usage error (bad option or value: the message names it and the allowed range)\n"
    "  130  interrupted (Ctrl-C)"
)

# Per verb: (command line, what it does).  A verb without an entry gets the exit codes only.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "list": (
        ("mediatui list", "every media node, grouped by physical device"),
        ("mediatui list --json | jq .", "the same as JSON, for scripts"),
        ("mediatui --demo list", "the virtual devices, no hardware needed"),
    ),
    "info": (
        ("mediatui info 0", "/dev/video0's capabilities and formats (like v4l2-ctl -d 0 --all)"),
        ("mediatui info -d /dev/dvb/adapter0/frontend0 --json",
         "a DVB frontend's lock status and signal statistics as JSON"),
        ("mediatui --demo info /dev/video0", "a virtual node"),
    ),
    "probe": (
        ("mediatui probe /dev/video0", "memory types and buffer capabilities of every queue"),
        ("mediatui probe -d 2 --json", "/dev/video2, as JSON"),
    ),
    "stream": (
        ("mediatui stream -d 0 -n 100", "100 frames from /dev/video0, then statistics"),
        ("mediatui stream /dev/video0 --memory dmabuf --heap system -t 10",
         "10 s importing dma-bufs from the system heap"),
        ("mediatui stream /dev/dvb/adapter0/dvr0 --tune 474000000 --json",
         "tune DVB-T 474 MHz and stream the dvr; JSON includes the frontend statistics"),
    ),
    "attach": (
        ("sudo mediatui attach 0 -t 10",
         "watch another program's /dev/video0 stream for 10 s (tracepoints: every frame)"),
        ("mediatui attach -d /dev/video0 --source sample --json",
         "without root: QUERYBUF sampling (buffer states, approximate), as JSON"),
        ("sudo mediatui attach 0 -t 5 --trace out.json",
         "a trace of every buffer for ui.perfetto.dev"),
    ),
    "topology": (
        ("mediatui topology /dev/media3",
         "entities, pads, links and pad formats (like media-ctl -p)"),
        ("mediatui topology /dev/media3 --dot | dot -Tsvg > graph.svg",
         "the graph with pad formats on the edges"),
    ),
    "check": (
        ("mediatui check /dev/video4", "would STREAMON pass link validation? names each mismatch"),
        ("mediatui check /dev/video4 --json", "the same as JSON (exit 1 when it would fail)"),
    ),
    "setup": (
        ("mediatui setup /dev/media3 -l '\"Debayer A\":1->\"Scaler\":0[1]'",
         "enable a link (media-ctl -l syntax)"),
        ("mediatui setup /dev/media3 -V '\"Sensor A\":0[fmt:SBGGR8_1X8/640x480]'",
         "set a pad format (media-ctl -V syntax), then check every video node"),
    ),
    "who": (
        ("mediatui who", "every media node that is held, and by which process"),
        ("mediatui who /dev/video0 --json",
         "who has /dev/video0 open, who owns its queue, where its dma-bufs went"),
    ),
    "dmabufs": (
        ("mediatui dmabufs", "every dma-buf: size, exporter, holders, attachments; totals"),
        ("mediatui dmabufs --pid 1234 --json", "one process's dma-bufs, as JSON"),
    ),
    "watch": (
        ("mediatui watch", "print media devices as they appear and disappear"),
        ("mediatui watch --json", "one JSON object per event (NDJSON)"),
    ),
    "completion": (
        ("mediatui completion bash > ~/.local/share/bash-completion/completions/mediatui",
         "install bash completion for this user"),
        ("mediatui completion zsh > ~/.zfunc/_mediatui", "zsh (with ~/.zfunc in fpath)"),
        ("mediatui completion fish > ~/.config/fish/completions/mediatui.fish", "fish"),
    ),
}


def epilog_for(verb: str) -> str:
    lines = []
    examples = EXAMPLES.get(verb, ())
    if examples:
        lines.append("examples:")
        for command, what in examples:
            lines += [f"  {command}", f"      {what}"]
        lines.append("")
    lines.append(EXIT_CODES)
    return "\n".join(lines)


def add_epilog(parser: argparse.ArgumentParser, verb: str) -> None:
    """Examples and exit codes under ``--help`` (kept verbatim, not re-wrapped)."""
    if parser.epilog is None:
        parser.epilog = epilog_for(verb)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


# ``complete`` attributes shtab reads; the functions are defined in COMPLETION_PREAMBLE.
DEVICE_COMPLETE = {"bash": "_mediatui_nodes", "zsh": "_mediatui_nodes", "fish":
                   "(ls /dev/video* /dev/media* /dev/v4l-subdev* /dev/dvb/adapter*/* 2>/dev/null)"}
COMPLETION_PREAMBLE = {
    "bash": (
        "_mediatui_nodes() {\n"
        "  compgen -W \"$(ls -d /dev/video* /dev/media* /dev/v4l-subdev* "
        "/dev/dvb/adapter*/* /dev/dma_heap/* 2>/dev/null)\" -- \"$1\"\n"
        "}\n"
    ),
    "zsh": (
        "_mediatui_nodes() {\n"
        "  local -a nodes\n"
        "  nodes=(/dev/video*(N) /dev/media*(N) /dev/v4l-subdev*(N) /dev/dvb/adapter*/*(N))\n"
        "  _describe 'media node' nodes\n"
        "}\n"
    ),
}


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """Give a verb with a positional ``device`` a ``-d/--device`` twin; either may be
    used (not both with different values).  Verbs without one are left alone."""
    positional = next((a for a in parser._actions
                       if a.dest == "device" and not a.option_strings), None)
    if positional is None:
        return
    optional = positional.nargs == "?"  # `who [DEVICE]`: the device may be left out
    positional.nargs = "?"
    positional.default = None
    positional.complete = DEVICE_COMPLETE  # type: ignore[attr-defined]
    option = parser.add_argument(
        "-d", "--device", dest="device_option", metavar="DEVICE",
        help="the node, as the positional argument (a bare number N means /dev/videoN)")
    option.complete = DEVICE_COMPLETE  # type: ignore[attr-defined]
    for action in parser._actions:  # --import-from DEVICE, --to DEVICE
        if action.metavar == "DEVICE" and not hasattr(action, "complete"):
            action.complete = DEVICE_COMPLETE  # type: ignore[attr-defined]
    parser.set_defaults(_device_parser=parser, _device_optional=optional)


_NUMBER = re.compile(r"\d+")


def normalize_device(value: str) -> str:
    """``7`` -> ``/dev/video7`` (as ``v4l2-ctl -d 7``); anything else unchanged."""
    return f"/dev/video{value}" if _NUMBER.fullmatch(value) else value


def resolve_device(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Merge ``-d/--device`` into ``args.device`` and expand a bare number.

    Calls ``parser.error`` (exit 2) when neither or two different devices are given.
    """
    verb_parser = getattr(args, "_device_parser", None)
    if verb_parser is None:
        return
    parser = verb_parser
    positional: Any = args.device
    option: Any = getattr(args, "device_option", None)
    if positional is not None and option is not None and \
            normalize_device(positional) != normalize_device(option):
        parser.error(f"two devices given: {positional!r} and -d/--device {option!r}; "
                     "give one")
    value = option if option is not None else positional
    if value is None and getattr(args, "_device_optional", False):
        return
    if value is None:
        parser.error("a device is required (a path such as /dev/video0, a "
                     "number N for /dev/videoN, or -d/--device)")
    args.device = normalize_device(value)


__all__ = [
    "COMPLETION_PREAMBLE",
    "EXAMPLES",
    "EXIT_CODES",
    "add_device_option",
    "add_epilog",
    "epilog_for",
    "normalize_device",
    "resolve_device",
]
