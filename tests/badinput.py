"""The bad-input matrix: paths, node kinds and every option's edges, with what each must
give (exit code, what the message names).  One table for both tiers: the fast tier runs
it in-process on the ``--demo`` board (tests/unit/test_bad_input.py), the kernel tier as
subprocesses on the real drivers, as root and as ``nobody`` (tests/kernel/test_bad_input.py).

A case is *explained* when the exit code is one it allows, every fragment it lists is in
stderr, there is no traceback, stdout is empty (or, with ``--json``, a JSON document),
and stderr carries no raw control character.  Templates name the nodes by role:
``{cap}`` a capture node, ``{out}`` a video output, ``{m2m}`` a mem2mem node, ``{fe}``,
``{demux}``, ``{dvr}``, ``{media}``, and ``{tmp}`` a scratch directory holding a
directory, a file, a FIFO and a symlink loop (:func:`make_paths`).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    codes: frozenset[int]  # allowed exit codes
    says: tuple[str, ...] = ()  # fragments stderr must contain (after formatting)
    json_doc: bool = False  # stdout must be one JSON document


@dataclass
class Outcome:
    case: Case
    argv: list[str]
    code: int
    out: str
    err: str
    problems: list[str] = field(default_factory=list)

    @property
    def explained(self) -> bool:
        return not self.problems


OK = frozenset({0})
USAGE = frozenset({2})
DEVICE = frozenset({1})


def _c(id: str, argv: str | tuple[str, ...], codes: frozenset[int], *says: str,
       json_doc: bool = False) -> Case:
    args = tuple(argv.split()) if isinstance(argv, str) else argv
    return Case(id, args, codes, says, json_doc)


def _opt(option: str, verb: str, value: str, ok: bool = False,
         extra: str = "", says: str | None = None) -> Case:
    """An option edge on ``verb``: refused as a usage error naming the option, or
    accepted (``ok``) and streamed briefly."""
    argv = (*verb.split(), option, value, *extra.split())
    name = f"{verb.split()[0]} {option}={value!r}"
    if ok:
        return Case(name, argv, OK, ())
    return Case(name, argv, USAGE, (says if says is not None else option,))


CAP_RUN = "-n 2 -q"
DVB_RUN = "-n 2 -q --tune 474000000"

CASES: tuple[Case, ...] = (
    # --- paths and node kinds --------------------------------------------------------
    *(_c(f"{verb} {what}", f"{verb} {{tmp}}/{what}", DEVICE, "{tmp}/" + what)
      for verb in ("info", "probe", "stream")
      for what in ("missing", "dir", "file", "fifo", "loop")),
    *(_c(f"{verb} /dev/null", f"{verb} /dev/null", DEVICE, "/dev/null")
      for verb in ("info", "probe", "stream")),
    _c("info long name", ("info", "/dev/" + "v" * 300), DEVICE, "/dev/vvvv"),
    _c("info control chars", ("info", "/dev/vid\x1b]0;x\x07eo"), DEVICE,
       "/dev/vid\\x1b]0;x\\x07eo"),
    _c("info --json missing", "info {tmp}/missing --json", DEVICE, json_doc=True),
    _c("stream frontend", "stream {fe} -n 1", USAGE, "frontend"),
    _c("stream media node", "stream {media} -n 1", DEVICE | USAGE, "{media}"),
    _c("stream --to capture", "stream {cap} --to {cap} -n 1", DEVICE | USAGE, "{cap}"),
    _c("stream --import-from missing", "stream {cap} --import-from {tmp}/missing -n 1",
       DEVICE, "{tmp}/missing"),
    _c("stream --import-from dvb", "stream {cap} --import-from {demux} -n 1", DEVICE | USAGE,
       "{demux}"),
    _c("stream --heap missing", "stream {cap} --heap nosuchheap -n 1", DEVICE, "nosuchheap"),
    _c("stream --heap missing --json", "stream {cap} --heap nosuchheap -n 1 --json", DEVICE,
       "nosuchheap", json_doc=True),
    _c("stream bad option --json", "stream {cap} --pid 0x2001 --json", USAGE, "--pid",
       json_doc=True),
    _c("stream m2m first in a pipeline", "stream {m2m} --to {out} -n 1", DEVICE,
       "first stage of a pipeline must capture"),
    _c("stream output first in a pipeline", "stream {out} --to {m2m} -n 1", DEVICE,
       "first stage of a pipeline must capture"),
    _c("stream --memory dmabuf alone", "stream {cap} --memory dmabuf -n 1", USAGE, "--heap"),
    # --- every option's edges --------------------------------------------------------
    _opt("--pid", "stream {demux}", "0x2001"),
    _opt("--pid", "stream {demux}", "-1"),
    _opt("--pid", "stream {demux}", "0x10000"),
    _opt("--pid", "stream {demux}", "pat"),
    _opt("--pid", "stream {demux}", "0x2000", ok=True, extra=DVB_RUN),
    _opt("--pid", "stream {demux}", "0", ok=True, extra=DVB_RUN + " --buffer-size 1880"),
    _opt("--buffers", "stream {cap}", "0"),
    _opt("--buffers", "stream {cap}", "-1"),
    _opt("--buffers", "stream {cap}", "4294967296"),
    _opt("--buffers", "stream {cap}", "4294967297"),
    _opt("--buffers", "stream {cap}", "64", extra=CAP_RUN),  # above the queue's 32
    _opt("--buffers", "stream {demux}", "64", extra=DVB_RUN),
    _opt("--buffers", "stream {cap}", "2", ok=True, extra=CAP_RUN),
    _opt("--buffers", "stream {cap}", "32", ok=True, extra=CAP_RUN),
    _opt("--count", "stream {cap}", "-1"),
    _opt("--count", "stream {cap}", "1.5"),
    _opt("--count", "stream {cap}", "0", ok=True, extra="-t 0.5 -q"),
    _opt("--duration", "stream {cap}", "0"),
    _opt("--duration", "stream {cap}", "-1"),
    _opt("--duration", "stream {cap}", "nan"),
    _opt("--duration", "stream {cap}", "inf"),
    _opt("--duration", "stream {cap}", "1e400"),
    _opt("--duration", "stream {cap}", "0.3", ok=True, extra="-q"),
    _opt("--fps", "stream {cap}", "0"),
    _opt("--fps", "stream {cap}", "-5"),
    _opt("--fps", "stream {cap}", "nan"),
    _opt("--fps", "stream {cap}", "inf"),
    _opt("--fps", "stream {cap}", "1e-12"),
    _opt("--fps", "stream {cap}", "5e9"),
    _opt("--fps", "stream {cap}", "30", ok=True, extra=CAP_RUN),
    _opt("--size", "stream {cap}", "0x0"),
    _opt("--size", "stream {cap}", "99999999999x1"),
    _opt("--size", "stream {cap}", "4294967296x1"),
    _opt("--size", "stream {cap}", "640"),
    _opt("--size", "stream {cap}", "-640x480"),
    _opt("--size", "stream {cap}", "axb"),
    _opt("--size", "stream {cap}", "640x480", ok=True, extra=CAP_RUN),
    _opt("--format", "stream {cap}", ""),
    _opt("--format", "stream {cap}", "TOOLONG"),
    _opt("--format", "stream {cap}", "Z\x1bZ"),
    _opt("--format", "stream {cap}", "ZZZZ", extra=CAP_RUN, says="YUYV"),
    _opt("--format", "stream {cap}", "YUYV", ok=True, extra=CAP_RUN),
    _opt("--buffer-size", "stream {demux}", "0"),
    _opt("--buffer-size", "stream {demux}", "-1"),
    _opt("--buffer-size", "stream {demux}", "4294967296"),
    _opt("--buffer-size", "stream {demux}", "18800", ok=True, extra=DVB_RUN),
    _opt("--tune", "stream {demux}", "0"),
    _opt("--tune", "stream {demux}", "-474000000"),
    _opt("--tune", "stream {demux}", "4294967296"),
    _opt("--heap", "stream {cap}", ""),
    _opt("--heap", "stream {cap}", "../../dev/zero"),
    _opt("--heap", "stream {cap}", "/dev/dma_heap/system"),
    _opt("--heap", "stream {cap}", ".."),
    _opt("--timeout", "watch", "0"),
    _opt("--timeout", "watch", "nan"),
    _opt("--count", "watch", "0"),
    _opt("--count", "watch", "-3"),
)


def make_paths(tmp: Path) -> None:
    """The scratch paths the path cases name."""
    (tmp / "dir").mkdir(exist_ok=True)
    (tmp / "file").write_text("not a device\n")
    if not (tmp / "fifo").exists():
        os.mkfifo(tmp / "fifo")
    if not (tmp / "loop").is_symlink():
        (tmp / "loop").symlink_to(tmp / "loop")


def expand(case: Case, roles: dict[str, str]) -> tuple[list[str], tuple[str, ...]]:
    """argv and expected fragments with the roles filled in."""
    def fill(s: str) -> str:
        for key, value in roles.items():
            s = s.replace("{" + key + "}", value)
        return s

    return [fill(a) for a in case.argv], tuple(fill(s) for s in case.says)


def judge(case: Case, argv: list[str], says: tuple[str, ...], code: int, out: str,
          err: str, *, privileged: bool = True) -> Outcome:
    """What is wrong with one run (nothing: explained).  Unprivileged (``nobody``, not
    in the video group), a case may instead fail to open its node: exit 1 with EACCES
    explained is then right; a usage error must stay a usage error (argparse refuses
    before any node is opened)."""
    outcome = Outcome(case, argv, code, out, err)
    p = outcome.problems
    if not privileged and code == 1 and "EACCES" in err:
        says = ()  # refused at open: the case's own fragments do not apply
    elif code not in case.codes:
        p.append(f"exit {code}, wants {sorted(case.codes)}")
    if "Traceback" in err or "Traceback" in out:
        p.append("traceback")
    for fragment in says:
        if fragment not in err:
            p.append(f"stderr does not say {fragment!r}")
    if code != 0:
        if not err.strip():
            p.append("no message")
        if case.json_doc:
            try:
                json.loads(out)
            except ValueError:
                p.append("--json: stdout is not a JSON document")
        elif out.strip():
            p.append("stdout not empty on failure")
    if not all(line.isprintable() for line in err.split("\n")):
        p.append("raw control character on stderr")
    return outcome


def figures(outcomes: list[Outcome]) -> str:
    """The summary line: cases tried, explained, exit codes."""
    codes = Counter(o.code for o in outcomes)
    explained = sum(o.explained for o in outcomes)
    spread = ", ".join(f"{c}: {n}" for c, n in sorted(codes.items()))
    return (f"bad-input matrix: {len(outcomes)} cases, {explained} explained, "
            f"exit codes {{{spread}}}")


def run_in_process(roles: dict[str, str], tmp: Path, *,
                   privileged: bool = True) -> list[Outcome]:
    """Every case through ``mediatui.cli.main`` in this process (stdout and stderr
    captured, argparse's SystemExit taken as the exit code)."""
    import contextlib
    import io

    from mediatui import cli

    outcomes = []
    for case in CASES:
        argv, says = expand(case, {**roles, "tmp": str(tmp)})
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
            except Exception:  # a crash is a finding, not the end of the matrix
                import traceback

                traceback.print_exc()
                code = -1
        outcomes.append(judge(case, argv, says, code, out.getvalue(), err.getvalue(),
                              privileged=privileged))
    return outcomes


def main() -> None:
    """``python tests/badinput.py ROLES_JSON TMP [--unprivileged]``: run the matrix and
    print one JSON list of {id, argv, code, problems, err} (the kernel tier runs this as
    ``nobody``)."""
    import sys

    roles = json.loads(sys.argv[1])
    tmp = Path(sys.argv[2])
    outcomes = run_in_process(roles, tmp, privileged="--unprivileged" not in sys.argv)
    sys.stdout.write(json.dumps([
        {"id": o.case.id, "argv": o.argv, "code": o.code, "problems": o.problems,
         "err": o.err[-600:]} for o in outcomes]) + "\n")


if __name__ == "__main__":
    main()
