"""The part every import shares: validate what a reader found, drop what the journal already
holds, and save the rest at once as backlog (or, on a dry run, only say what would be saved).

It knows no terminal: progress goes to a ``Listener`` (the command line draws a rich progress
bar from it; the app could draw its own), the outcome comes back as a ``Summary``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from charlie_worker import EntryError, Journal, validate_entry

from .items import Found, Skipped


class Listener(Protocol):
    """Hears how an import goes: items read from the source, then entries saved."""

    def read(self, count: int) -> None:
        """``count`` items (entries or skipped ones) read so far."""

    def saving(self, total: int) -> None:
        """``total`` new entries are about to be saved."""

    def saved(self, count: int) -> None:
        """``count`` more entries were saved."""


class Silent:
    """A listener that ignores everything."""

    def read(self, count: int) -> None:
        pass

    def saving(self, total: int) -> None:
        pass

    def saved(self, count: int) -> None:
        pass


@dataclass(slots=True)
class Summary:
    """What an import did (or, on a dry run, would do)."""

    dry_run: bool
    new: list[Found] = field(default_factory=list)
    already: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.new)

    @property
    def exit_code(self) -> int:
        """0 when something was imported or was already there; 1 when nothing could be."""
        return 0 if self.new or self.already else 1

    def line(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {self.imported:,} · already there {self.already:,} · "
            f"skipped {len(self.skipped):,}"
        )


def run_import(
    journal: Journal,
    items: Iterable[Found | Skipped],
    *,
    dry_run: bool = False,
    listener: Listener | None = None,
) -> Summary:
    """Import ``items`` into the open ``journal``; see the module docstring."""
    listener = listener or Silent()
    summary = Summary(dry_run)
    found: list[Found] = []
    for count, item in enumerate(items, start=1):
        if isinstance(item, Skipped):
            summary.skipped.append(item)
        else:
            try:
                validate_entry(item.text)
            except EntryError as exc:
                summary.skipped.append(Skipped(item.where, str(exc)))
            else:
                found.append(item)
        listener.read(count)
    known = journal.already_there([item.entry() for item in found])
    summary.new = [item for item, there in zip(found, known, strict=True) if not there]
    summary.already = len(found) - len(summary.new)
    if summary.new and not dry_run:
        listener.saving(len(summary.new))
        journal.add_backlog([item.entry() for item in summary.new], listener.saved)
    return summary
