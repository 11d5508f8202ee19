"""The man page and completion scripts, generated from the same argparse parser as --help.

Used at build time by ``hatch_build.py`` (the wheel ships ``share/man/man1/mediatui.1``
and the completion scripts under ``share/``) and by the tests.  ``argparse-manpage``
writes the roff; ``shtab`` the completions (see :mod:`mediatui.verbs.completion_`).
"""

from __future__ import annotations

from mediatui import __version__
from mediatui.cli_habits import EXAMPLES, EXIT_CODES

MAN_SECTIONS = {
    "EXIT STATUS": EXIT_CODES.split("\n", 1)[1],
    "SEE ALSO": "v4l2-ctl(1), media-ctl(1), dvb-fe-tool(1), dvbv5-zap(1), fuser(1)",
}
# Where the wheel installs each generated file, relative to the installation prefix.
SHARE_PATHS = {
    "mediatui.1": "share/man/man1/mediatui.1",
    "mediatui.bash": "share/bash-completion/completions/mediatui",
    "_mediatui": "share/zsh/site-functions/_mediatui",
    "mediatui.fish": "share/fish/vendor_completions.d/mediatui.fish",
}


def manpage_text() -> str:
    """``mediatui.1`` in roff: every verb with its options, examples and exit codes."""
    from argparse_manpage.manpage import Manpage

    from mediatui.cli import build_parser

    parser = build_parser()
    parser.epilog = None  # its exit codes get their own EXIT STATUS section below
    page = Manpage(parser, format="pretty")
    page.manual = "mediatui manual"
    page.source = f"mediatui {__version__}"
    text = str(page)
    extra = [".SH EXAMPLES\n"]
    for _verb, examples in EXAMPLES.items():
        for command, what in examples:
            extra.append(f".TP\n.B {_roff(command)}\n{_roff(what)}\n")
    for title, body in MAN_SECTIONS.items():
        extra.append(f".SH {title}\n{_roff(body).replace(chr(10), chr(10) + '.br' + chr(10))}\n")
    return text + "".join(extra)


def _roff(text: str) -> str:
    """Plain text for a roff line: backslashes and leading dots/quotes escaped, '-' as \\-."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line
                     for line in text.split("\n"))


def generated_files() -> dict[str, str]:
    """File name (a key of :data:`SHARE_PATHS`) -> its text."""
    from mediatui.verbs.completion_ import completion_script

    return {
        "mediatui.1": manpage_text(),
        "mediatui.bash": completion_script("bash"),
        "_mediatui": completion_script("zsh"),
        "mediatui.fish": completion_script("fish"),
    }
