"""The base of every mediatui screen: handed the :class:`Backend` (the service and the
system around it), and the one place where a thread worker's failure becomes an explained
notification.

Workers run with ``exit_on_error=False`` so a failing ioctl never takes the app down;
Textual then only sets the worker's state to ERROR and posts ``Worker.StateChanged`` to
the worker's node (it does not bubble).  Every worker of the app therefore runs on a
screen (the stream views start theirs on their screen too), and this handler tells the
user what failed and why.
"""

from __future__ import annotations

from textual import on
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from core.errors import MediaError
from core.service.failure import unexpected
from mediatui.backend import Backend
from mediatui.widgets.text import plain, plain_lines


def worker_error(worker: Worker[object]) -> MediaError:
    """The worker's failure as an explained error: a :class:`MediaError` as it is (core
    already explained it), anything else as "<worker name> failed unexpectedly"."""
    error = worker.error
    if isinstance(error, MediaError):
        return error
    label = worker.name or worker.group
    return unexpected(label, error if error is not None else RuntimeError("no error given"))


class ServiceScreen(Screen[None]):
    """A screen working through the service layer; its workers' failures are notified."""

    def __init__(self, backend: Backend, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.backend = backend

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            worker = event.worker
            self.explain(worker.name or worker.group, worker_error(worker))

    def explain(self, label: str, error: MediaError) -> None:
        """A failure on screen: what failed (the ioctl or ``label``), errno, the likely
        cause."""
        what = error.ioctl or label
        if error.errno:
            title = f"{what} failed: {error.errno_name}"
        else:
            title = f"{label}: {error.ioctl}" if error.ioctl else label
        body = f"{error.title}\n{error.explanation}".strip()
        # Paths and explanations can carry device text: escaped, line by line.
        self.notify(plain_lines(body), title=plain(title), severity="error", timeout=12,
                    markup=False)
