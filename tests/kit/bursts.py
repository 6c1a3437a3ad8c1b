"""Keys that reach the app as one read of the terminal (fast typing, a slow link, a paste
without bracketed paste): the driver hands the app all of them before any is handled.
``pilot.press`` lets the app go idle after every key, so it never shows what a priority
binding does to the keys sent just before it."""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.keys import key_to_character


def burst(app: App, *keys: str) -> None:
    """Send ``keys`` (key names as ``pilot.press`` takes them, or single characters: " " is
    space) to ``app`` at once."""
    driver = app._driver
    assert driver is not None, "the app is not running"
    for key in keys:
        name = "space" if key == " " else key
        driver.send_message(events.Key(name, key_to_character(name)))
