"""``NodeHandle``: one open file handle on a media node, closed exactly once.

Every device object (video, demux, dvr, frontend) owns one fd opened through the
chokepoint; what differs is what it must release before the fd goes (mappings,
exports), which subclasses say in :meth:`NodeHandle._release`.
"""

from __future__ import annotations

from core import ioctl as chokepoint
from core.errors import media_error, open_error

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from core.facts import Facts

    _H = TypeVar("_H", bound="NodeHandle")  # typing.Self needs Python 3.11



class NodeHandle:
    """Opened ``O_RDWR | O_NONBLOCK | O_CLOEXEC`` unless told otherwise.

    Raises :class:`core.errors.NotAMediaNode` for a path that is not a media node (it
    is never opened) and an explained :class:`core.errors.MediaError` when open fails.
    """

    def __init__(self, path: str, flags: int = chokepoint.OPEN_FLAGS) -> None:
        self.path = path
        self._fd = -1
        try:
            self._fd = chokepoint.open_node(path, flags)
        except OSError as exc:
            raise open_error(exc, path) from None

    @property
    def fd(self) -> int:
        if self._fd < 0:
            raise ValueError(f"{self.path} is closed")
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def _release(self) -> None:
        """What must go before the fd (unmap, close exports); may meet a dead device."""

    def close(self) -> None:
        """Release, then close the node.  Idempotent."""
        if self._fd < 0:
            return
        try:
            self._release()
        finally:
            fd, self._fd = self._fd, -1
            chokepoint.close_fd(fd)

    def _ioctl(self, request: int, arg: Any, name: str, facts: Facts | None = None) -> int:
        """One ioctl; a failure becomes a MediaError explained with ``facts``."""
        try:
            return chokepoint.ioctl(self.fd, request, arg)
        except OSError as exc:
            raise media_error(exc, ioctl=name, path=self.path, facts=facts) from None

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<{type(self).__name__} {self.path} {state}>"
