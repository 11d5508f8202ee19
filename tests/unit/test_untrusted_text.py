"""Device-supplied text is data, everywhere (issue 12 part 1).

A virtual board whose every string field (card, driver, sysfs name, bus_info, format
descriptions, media model/serial, the frontend name, udev ID_* properties) holds
hostile text: markup that would crash or act, terminal escapes, a bidi override, 5,000
characters, invalid UTF-8 and an embedded NUL.  Every verb's text output must show each
value as :func:`core.untrusted.escape` gives it and nothing raw; every JSON output
must parse and carry the value as the kernel reported it; every screen, tab, panel,
picker and notification of the TUI must render without a span that carries a link or
an action, without a non-printable character, and with the escaped value where it shows.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator

import pytest
from test_tui_app import notifications, settle, sync
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import OptionList, Tab, Tree

from core.discovery import discover
from core.untrusted import escape
from core.virtual.board import HOSTILE_TEXT, hostile_board
from mediatui import cli
from mediatui.app import MediatuiApp, make_app
from mediatui.widgets.device_tree import DeviceTree

SHIFTS = range(len(HOSTILE_TEXT))
VIDEO = ("/dev/video0", "/dev/video1", "/dev/video2")
DVB = ("/dev/dvb/adapter0/frontend0", "/dev/dvb/adapter0/demux0", "/dev/dvb/adapter0/dvr0")
MEDIA = ("/dev/media0", "/dev/media1", "/dev/media2")


# --- the escaping function itself ------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("cam [/]", "cam [/]"),
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ("\x1b[2J", "\\x1b[2J"),
    ("\u202e", "\\u202e"),
    ("a\x00b", "a\\x00b"),
    ("\x7f\x85\x9b", "\\x7f\\x85\\x9b"),  # DEL and two C1 controls (NEL, CSI)
    ("\u2066x\u2069\u200f\u061c", "\\u2066x\\u2069\\u200f\\u061c"),  # bidi isolates, marks
    ("\U000e0041", "\\U000e0041"),  # a tag character (Cf), on no list anyone wrote
    ("bad \udcff", "bad \\xff"),  # an undecodable byte under surrogateescape
    ("back\\slash", "back\\\\slash"),  # so an escape cannot be forged
    ("HD Pro Webcam C920 [USB2]", "HD Pro Webcam C920 [USB2]"),
    ("日本語 café", "日本語 café"),
])
def test_escape_shows_every_non_printable_character(raw: str, shown: str) -> None:
    assert escape(raw) == shown
    assert escape(raw).isprintable()
    escape(raw).encode("utf-8")  # always writable to a UTF-8 terminal


def test_escape_takes_bytes() -> None:
    assert escape(b"cam\xff\x1b") == "cam\\xff\\x1b"


# --- the verbs -------------------------------------------------------------------------


@contextlib.contextmanager
def board(shift: int) -> Iterator[None]:
    backend = hostile_board(shift).install()
    try:
        yield
    finally:
        backend.shutdown()


def run_verb(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def assert_terminal_safe(text: str) -> None:
    """Only printable characters, line breaks and tabs reach the terminal (the tabs are
    the topology text's own layout, media-ctl -p's; no hostile value holds a tab)."""
    assert not any("\t" in h for h in HOSTILE_TEXT)
    for line in text.split("\n"):
        assert line.replace("\t", "").isprintable(), (
            f"raw control or bidi character in {line!r}")


# The keys whose values the text forms show (list shows a node's name, or its card
# when it has none; the JSON has more, e.g. udev properties, than the text shows).
SHOWN_KEYS = {"card", "driver", "bus_info", "description", "name"}


def reported_strings(value: object, keys: set[str] | None = None) -> Iterator[str]:
    """Every string inside a JSON document (under ``keys`` only, when given)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if keys is None:
                yield k
            if keys is None or k in keys or not isinstance(v, str):
                yield from reported_strings(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from reported_strings(v, keys)


def hostile_parts(value: str) -> bool:
    return any(h[:8] in value or escape(h)[:8] in value for h in HOSTILE_TEXT
               if h[:8]) or "\ufffd" in value or value == "nul"


VERBS = [("list",), *(("info", p) for p in (*VIDEO, *DVB, *MEDIA)),
         *(("probe", p) for p in (*VIDEO, *DVB)),
         ("stream", "/dev/video0", "-n", "2", "-q"),
         ("stream", "/dev/dvb/adapter0/demux0", "-n", "2", "-q", "--tune", "474000000")]


@pytest.mark.parametrize("shift", SHIFTS)
@pytest.mark.parametrize("argv", VERBS, ids=" ".join)
def test_verb_text_shows_device_text_escaped(shift: int, argv: tuple[str, ...]) -> None:
    """Text output: nothing raw, and each device string as escape() shows it (the
    values compared are what the same verb's --json reported: the kernel truncates
    card names to 31 bytes and stops at a NUL, the decoder turns bad bytes into U+FFFD)."""
    with board(shift):
        rc, out, err = run_verb(*argv)
        rc_json, out_json, err_json = run_verb(*argv, "--json")
    assert "Traceback" not in err + err_json
    assert_terminal_safe(out)
    assert_terminal_safe(err)
    assert rc == rc_json
    if not out_json:
        return
    doc = json.loads(out_json)
    shown = out + err
    checked = 0
    # info on a media node prints its graph: the entity names too.
    keys = SHOWN_KEYS | ({"entity"} if argv[:1] == ("info",) and "media" in argv[1] else set())
    for value in set(reported_strings(doc, keys)):
        if hostile_parts(value) and len(value) < 600:
            assert escape(value) in shown, f"{value!r} not shown as {escape(value)!r}"
            checked += 1
    if (argv[0] == "list" or (argv[0] == "info" and "demux" not in argv[1]
            and "dvr" not in argv[1])) and rc == 0:
        assert checked, "the board's hostile text did not reach this output"


@pytest.mark.parametrize("shift", SHIFTS)
def test_watch_events_show_device_text_escaped(shift: int) -> None:
    """watch's add and remove lines (remove: what the watcher remembered) and its NDJSON."""
    from core.discovery import HotplugEvent
    from mediatui.verbs import watch_

    with board(shift):
        nodes = discover().nodes
    for node in nodes:
        for action in ("add", "remove"):
            event = HotplugEvent(action=action, subsystem=node.subsystem,
                                 devpath=node.devpath, sysname=node.sysname, path=node.path,
                                 kind=node.kind, timestamp=0.0, node=node)
            line = watch_.event_line(event, 1_700_000_000.0)
            assert line.isprintable()
            shown = node.name or node.card
            if shown and node.subsystem != "dvb":
                assert escape(shown) in line
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                watch_.print_event(event, as_json=True)
            record = json.loads(out.getvalue())
            assert record["node"]["name"] == node.name
            text = out.getvalue()  # UTF-8 kept, every unprintable character escaped
            assert all(line.isprintable() for line in text.split("\n"))


def test_list_json_keeps_the_values_json_escaped() -> None:
    with board(0):
        rc, out, _ = run_verb("list", "--json")
    assert rc == 0
    assert "\x1b" not in out and "\u202e" not in out  # ensure_ascii: \u001b, \u202e
    doc = json.loads(out)
    names = set(reported_strings(doc))
    assert "[@click=app.quit]z[/]" in names or "\x1b]0;title\x07" in names


# --- the TUI ---------------------------------------------------------------------------


def check_rendering(app: MediatuiApp, where: str) -> int:
    """Render every widget of the current screen (and its toasts): no span with a link
    or an action, no non-printable character.  Returns the number of widgets seen."""
    screen = app.screen
    seen = 0
    for widget in screen.query("*"):
        if not widget.display or widget.size.area == 0:
            continue
        strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
        for strip in strips:
            for seg in strip:
                style = seg.style
                text = seg.text
                assert text.isprintable() or not text.strip("\n"), (
                    f"{where}: {type(widget).__name__} shows {text!r}")
                if style is None:
                    continue
                assert not style.link, f"{where}: {type(widget).__name__} links {text!r}"
                meta = style.meta or {}
                assert not any(k.startswith("@") for k in meta), (
                    f"{where}: {type(widget).__name__} carries an action on {text!r}: {meta}")
        seen += 1
    return seen


def span_styles(label: object) -> list[str]:
    """The styles of a Text's or Content's spans, as strings.  A str label (which a
    widget parses as markup) is only allowed for our own constant words."""
    if isinstance(label, str):
        assert label.replace(" ", "").replace("_", "").replace("-", "").isalnum(), (
            f"a str label that is not one of ours reaches a widget: {label!r}")
        return []
    spans = getattr(label, "spans", None)
    assert spans is not None, f"not a Text or Content: {label!r}"
    return [str(span.style) for span in spans]


def check_labels(app: MediatuiApp, where: str) -> None:
    """Tabs, options and tree labels are Text/Content with no action or link span
    (the rendered cells can hide one: a tab crops its label)."""
    labels: list[object] = [tab.label for tab in app.screen.query(Tab)]
    for options in app.screen.query(OptionList):
        labels += [options.get_option_at_index(i).prompt for i in range(options.option_count)]
    for tree in app.screen.query(Tree):
        stack = [tree.root]
        while stack:
            node = stack.pop()
            labels.append(node.label)
            stack.extend(node.children)
    for label in labels:
        for style in span_styles(label):
            assert "@" not in style and "link" not in style, f"{where}: {label!r}"


def shown_labels(app: MediatuiApp) -> list[str]:
    """The plain text of tree labels, tabs and options on the current screen."""
    out: list[str] = []
    for tree in app.screen.query(Tree):
        stack = [tree.root]
        while stack:
            node = stack.pop()
            out.append(node.label.plain)
            stack.extend(node.children)
    out += [tab.label.plain for tab in app.screen.query(Tab)]
    for options in app.screen.query(OptionList):
        out += [str(options.get_option_at_index(i).prompt)
                for i in range(options.option_count)]
    return out


async def open_node(pilot: Pilot, path: str) -> None:
    await settle(pilot)
    tree = pilot.app.screen.query_one(DeviceTree)
    leaves = [leaf for group in tree.root.children for leaf in group.children]
    node = next(n for n in leaves if n.data == path)
    tree.focus()
    tree.move_cursor(node)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("shift", [0, 1, 2])
@sync
async def test_every_screen_shows_device_text_as_data(shift: int) -> None:
    """Browser, inspector, buffers, export, import, log, help, the stream screen's tab
    and views, the link picker and every notification, on the hostile board."""
    backend = hostile_board(shift).install()
    try:
        devices = discover()
        app = make_app(demo=True)
        async with app.run_test(size=(140, 44)) as pilot:
            await settle(pilot)
            check_rendering(app, "browser")
            labels = "\n".join(shown_labels(app))
            for group in devices.groups:
                assert escape(group.name)[:20] in labels, (group.name, labels[:500])
            for node in devices.nodes:
                if node.subsystem != "dvb" and node.name:
                    assert escape(node.name)[:20] in labels, (node.name, labels[:500])
            for path in (*VIDEO, *MEDIA, *DVB):
                await open_node(pilot, path)
                for key in "12345":
                    await pilot.press(key)
                    await settle(pilot)
                    check_rendering(app, f"{path} tab {key}")
                check_labels(app, f"{path} tab {key}")
            await pilot.press("l")  # the ioctl log
            await settle(pilot)
            check_rendering(app, "log")
            await pilot.press("question_mark")
            await settle(pilot)
            check_rendering(app, "help")
            await pilot.press("escape")
            # A stream: its tab label is the node's card (markup, if it were parsed).
            await open_node(pilot, "/dev/video0")
            await pilot.press("s")
            await pilot.pause(0.2)
            await pilot.pause(0.3)
            check_rendering(app, "stream")
            check_labels(app, "stream")
            tabs = [t.label.plain for t in app.screen.query(Tab)]
            name = devices.find("/dev/video0").name
            assert tabs == [escape(f"video0 {name}")]
            await pilot.press("s")  # stop; then link: the picker lists output nodes
            await pilot.pause(0.2)
            await pilot.pause(0.3)
            await pilot.press("l")
            await pilot.pause(0.2)
            check_rendering(app, "link picker")
            check_labels(app, "link picker")
            options = [o for o in shown_labels(app) if o]
            assert options, "the link picker listed nothing"
            await pilot.press("enter")  # link it: the tab label becomes the pipeline's
            await pilot.pause(0.2)
            check_rendering(app, "linked stream")
            check_labels(app, "linked stream")
            await pilot.press("escape")
            await pilot.pause(0.2)
            await open_node(pilot, "/dev/dvb/adapter0/demux0")
            await pilot.press("s")
            await pilot.pause(0.2)
            await pilot.pause(0.3)
            check_rendering(app, "dvb stream")
            assert app.is_running, "an action in device text ran (app.quit)"
            for severity, title, message in notifications(app):
                assert title.isprintable() and all(
                    line.isprintable() for line in message.split("\n")), (severity, title)
    finally:
        backend.shutdown()
