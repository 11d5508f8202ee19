"""The stream notes: newest line at the bottom, scrolled back by its own offset, another
stream's lines swapped in, and none of it ever asks Textual for a layout."""

from __future__ import annotations

import asyncio
from collections import deque

from rich.text import Text
from textual.app import App, ComposeResult

from mediatui.widgets.notes_view import NotesView


class NotesApp(App[None]):
    CSS = "NotesView { height: 3; }"

    def compose(self) -> ComposeResult:
        yield NotesView()


def _shown(view: NotesView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def test_notes_scroll_back_and_swap_without_layout() -> None:
    async def run() -> None:
        app = NotesApp()
        async with app.run_test(size=(40, 10)) as pilot:
            view = app.query_one(NotesView)
            first: deque[Text] = deque(Text(f"first {k}") for k in range(5))
            second: deque[Text] = deque([Text("second 0"), Text("[b]not markup[/b]")])
            view.show(first)
            await pilot.pause()
            assert _shown(view) == ["first 2", "first 3", "first 4"]
            layouts = []
            real_refresh = view.refresh

            def refresh(*args: object, layout: bool = False, **kwargs: object) -> NotesView:
                layouts.append(layout)
                return real_refresh(*args, layout=layout, **kwargs)  # type: ignore[arg-type]

            view.refresh = refresh  # type: ignore[method-assign]
            view.focus()
            await pilot.press("up", "up", "up")  # at most to the oldest line
            assert view.back == 2 and _shown(view) == ["first 0", "first 1", "first 2"]
            assert view.border_subtitle == "2 newer ↓"
            first.append(Text("first 5"))
            view.added()  # scrolled back: the place is kept
            assert _shown(view) == ["first 0", "first 1", "first 2"]
            await pilot.press("end")
            assert view.back == 0 and _shown(view)[-1] == "first 5"
            view.show(second)
            assert _shown(view) == ["second 0", "[b]not markup[/b]", ""]
            assert [line.text for line in view.lines] == ["second 0", "[b]not markup[/b]"]
            assert layouts and not any(layouts)

    asyncio.run(run())
