"""One entity's page: every mention quoted with the name marked, grouped by entry day, newest
first; when it was first and last mentioned; who and what appears with it. Enter on a quote
opens its entry; the corrections are a key away (``CorrectingScreen``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Label, OptionList
from textual.widgets.option_list import Option

from ..formatting import Clock, day, entity_type_label, marked, plural, when
from ..messages import Correct, EntityPageLoaded, OpenEntity, OpenEntry
from ..widgets.footer import Footer
from ..widgets.status_bar import StatusBar
from .correcting import CorrectingScreen

if TYPE_CHECKING:
    from charlie_worker import EntityPage, EntityQuote, EntityRef, Journal


class EntityScreen(CorrectingScreen):
    """The page of one person, place, organisation or thing."""

    TITLE = "Charlie"
    AUTO_FOCUS = "#entity-quotes"
    COMPONENT_CLASSES: ClassVar[set[str]] = {"entity-page--name", "entity-page--day"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("x", "remove_from_entry", "Remove from this entry", id="remove-from-entry"),
    ]

    def __init__(self, journal: Journal, clock: Clock, uuid: str, name: str, kind: str) -> None:
        from charlie_worker import EntityRef  # loaded with the journal, long open by now

        super().__init__(journal, clock)
        self.uuid = uuid
        self.entity = EntityRef(uuid, name, kind)
        self.page: EntityPage | None = None
        self._quotes: dict[str, EntityQuote] = {}
        self._related: dict[str, EntityRef] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="entity-meta")
        with Horizontal(id="entity-body"):
            yield OptionList(id="entity-quotes")
            with Vertical(id="entity-side"):
                yield Label("Appears with", id="entity-related-title")
                yield OptionList(id="entity-related")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self._title()
        self.query_one("#entity-quotes").loading = True

    def reload(self, focus: str | None = None) -> None:
        self.load(lambda: EntityPageLoaded(self.journal.curation.page(self.uuid)))

    def target(self) -> EntityRef | None:
        return self.entity if self.page is not None else None

    def _title(self) -> str:
        return f"{self.entity.name} ({entity_type_label(self.entity.type)})"

    # ------------------------------------------------------------------ showing

    def on_entity_page_loaded(self, message: EntityPageLoaded) -> None:
        page = message.page
        if page is None:
            self.notify(f"“{self.entity.name}” is no longer in the journal.", timeout=4)
            self.dismiss()
            return
        self.page, self.entity = page, page.entity
        self.sub_title = self._title()
        self.query_one("#entity-meta", Label).update(self._meta(page))
        self._show_quotes(page)
        self._show_related(page)
        self.refresh_bindings()

    def _meta(self, page: EntityPage) -> Text:
        now = self.clock()
        parts = [plural(page.entries, "entry", "entries")]
        if page.first is not None and page.last is not None:
            parts.append(f"first {when(page.first, now)}, last {when(page.last, now)}")
        if page.aliases:
            parts.append("also " + ", ".join(f"“{a}”" for a in page.aliases))
        return Text("  ·  ".join(parts))

    def _show_quotes(self, page: EntityPage) -> None:
        quotes = self.query_one("#entity-quotes", OptionList)
        quotes.loading = False
        current = quotes.highlighted_option.id if quotes.highlighted_option else None
        name_style = self.get_component_rich_style("entity-page--name")
        day_style = self.get_component_rich_style("entity-page--day")
        now = self.clock()
        options: list[Option] = []
        self._quotes = {}
        shown_day = None
        for i, found in enumerate(page.quotes):
            label = day(found.when, now)
            if label != shown_day:
                options.append(Option(Text(label, day_style), disabled=True))
                shown_day = label
            key = f"quote-{i}"
            self._quotes[key] = found
            options.append(Option(marked(found.quote.text, found.quote.marks, name_style), key))
        quotes.clear_options()
        quotes.add_options(options)
        keep = current if current in self._quotes else next(iter(self._quotes), None)
        if keep is not None:
            quotes.highlighted = quotes.get_option_index(keep)

    def _show_related(self, page: EntityPage) -> None:
        related = self.query_one("#entity-related", OptionList)
        current = related.highlighted_option.id if related.highlighted_option else None
        related.clear_options()
        self._related = {r.entity.uuid: r.entity for r in page.related}
        related.add_options(
            Option(
                Text.assemble(
                    r.entity.name,
                    (f"  {entity_type_label(r.entity.type)} · {r.together}", "dim"),
                ),
                r.entity.uuid,
            )
            for r in page.related
        )
        if page.related:  # the cursor stays on the same entity across reloads
            keep = current if current in self._related else page.related[0].entity.uuid
            related.highlighted = related.get_option_index(keep)
        self.query_one("#entity-side").display = bool(page.related)

    # ------------------------------------------------------------------ opening

    @on(OptionList.OptionSelected, "#entity-quotes")
    def _open_entry(self, event: OptionList.OptionSelected) -> None:
        if found := self._quotes.get(event.option.id or ""):
            self.post_message(OpenEntry(found.entry_uuid))

    @on(OptionList.OptionSelected, "#entity-related")
    def _open_related(self, event: OptionList.OptionSelected) -> None:
        if ref := self._related.get(event.option.id or ""):
            self.post_message(OpenEntity(ref.uuid, ref.name, ref.type))

    # ------------------------------------------------------------------ removing

    def _highlighted_quote(self) -> EntityQuote | None:
        option = self.query_one("#entity-quotes", OptionList).highlighted_option
        return self._quotes.get(option.id or "") if option else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_from_entry":
            return self.page is not None and self._highlighted_quote() is not None
        return super().check_action(action, parameters)

    @on(OptionList.OptionHighlighted, "#entity-quotes")
    def _quote_highlighted(self) -> None:
        self.refresh_bindings()

    def action_remove_from_entry(self) -> None:
        if (found := self._highlighted_quote()) is not None:
            uuid, entry = self.uuid, found.entry_uuid
            self.post_message(Correct(lambda c: c.remove_from_entry(uuid, entry)))
