"""A failure nothing explained yet (a bug, an odd system state), as a :class:`MediaError`
so front ends show it the one way they show every error, instead of crashing."""

from __future__ import annotations

from core.errors import MediaError


def unexpected(what: str, exc: BaseException) -> MediaError:
    """``exc`` raised while doing ``what``: "<what> failed unexpectedly", with the
    exception's type and text as the explanation and its errno when it has one."""
    return MediaError(path=None, ioctl=None, errno=getattr(exc, "errno", None),
                      title=f"{what} failed unexpectedly",
                      explanation=f"{type(exc).__name__}: {exc}")
