"""The user's keys: every binding of the app has an id, and ``[keys]`` in the settings file (or
``CHARLIE_KEYS``) maps ids to other keys, which Textual's keymap applies everywhere that
binding is offered (the footer, the palette, the hints in the text follow).

Textual ignores an id it does not know and a key it cannot name, so a typo would leave the
user pressing a key that does nothing with no idea why: ``keymap_problems`` names both, and a
key two commands would share, or that the text box a command works beside would take, and
the app shows them. The ids are read from the bindings themselves (``binding_ids``), so this
module holds no second list of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, format_key, key_to_character
from textual.screen import ModalScreen

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
KEY_NAMES = frozenset(key.value for key in Keys)
BINDING_PACKAGES = ("charlie_tui.screens", "charlie_tui.widgets")
"""Where the bindings live, besides the app's own."""


Bound = list[tuple[type[DOMNode], list[Binding]]]
"""Classes of the app with the bindings each declares."""


def bound_classes() -> Bound:
    """The app, each screen and widget of it, with the bindings it declares. Imports every
    screen (the app loads most of them lazily)."""
    import pkgutil  # here, as difflib below: the app imports this module for its first frame

    modules = [importlib.import_module("charlie_tui.app")]
    for package_name in BINDING_PACKAGES:
        package = importlib.import_module(package_name)
        modules += [
            importlib.import_module(f"{package_name}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)
        ]
    bound = []
    for module in modules:
        for node in vars(module).values():
            if not (isinstance(node, type) and issubclass(node, DOMNode)):
                continue
            # A binding taken over from a base (``MergeChoices`` keeps its list's) is the base's.
            based = {id(b) for base in node.__mro__[1:] for b in base.__dict__.get("BINDINGS", [])}
            own = [
                b
                for b in node.__dict__.get("BINDINGS", [])
                if isinstance(b, Binding) and id(b) not in based
            ]
            if own and node.__module__ == module.__name__:
                bound.append((node, own))
    return bound


def binding_ids(bound: Bound | None = None) -> dict[str, Binding]:
    """Every binding id of the app, its screens and widgets, with its binding (the first, where
    several screens share an id, as "back" does): the ids a keymap may name."""
    ids: dict[str, Binding] = {}
    for _node, bindings in bound_classes() if bound is None else bound:
        for binding in bindings:
            if binding.id:
                ids.setdefault(binding.id, binding)
    return dict(sorted(ids.items()))


def key_ids_help() -> str:
    """The ids a user's keys may name, for ``--help``: the one place an installed app lists
    them (the package README has the table)."""
    import textwrap

    ids = ", ".join(binding_ids())
    return textwrap.fill(f"key ids for CHARLIE_KEYS and [keys]: {ids}", width=96)


def keymap_problems(keymap: dict[str, str]) -> list[str]:
    """What in ``keymap`` would not do what the user meant: ids no binding has, keys Textual
    cannot name, a key that two commands within reach of one screen would have, and a key of
    a screen's own command that its text box takes (``text_box_problems``).

    Textual reports a clash only with bindings that have no id (its check takes a binding
    with an id for one being given another key), and all of ours have one: so the clashes
    between them are found here, in the bindings in reach of each screen and widget: its own
    and the app's, or its own alone in a dialog (a modal screen's keys stop there)."""
    import difflib

    bound = bound_classes()
    known = binding_ids(bound)
    problems = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, known, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(f'"{binding_id}" is not the id of a key{hint}')
            continue
        for key in (k.strip() for k in keys.split(",")):
            if not valid_key(key):
                problems.append(f'"{key}" (for {binding_id}) is not the name of a key')
    app_bindings = next(bindings for node, bindings in bound if issubclass(node, App))
    told: set[tuple[str, frozenset[str]]] = set()
    for node, bindings in bound:
        reach = bindings if issubclass(node, ModalScreen) else [*bindings, *app_bindings]
        holders: dict[str, dict[str, Binding]] = {}
        for binding in reach:
            for key in _keys_of(binding, keymap):
                holders.setdefault(key, {})[binding.id or ""] = binding
        for key, by_id in holders.items():
            clash = (key, frozenset(by_id))
            if len(by_id) > 1 and not by_id.keys().isdisjoint(keymap) and clash not in told:
                told.add(clash)
                names = " and ".join(sorted(b.description for b in by_id.values()))
                problems.append(f"{key} would be both {names}: only one of them can have it")
    return problems + text_box_problems(bound, keymap)


def text_box_problems(bound: Bound, keymap: dict[str, str]) -> list[str]:
    """The user's keys for a screen's own commands that the screen's text box takes: a
    character it types ("s" for Save) or a key of its own (ctrl+z, its Undo). Such a key either
    never reaches the command, the text box having it first, or, for a command that goes
    first (Save), takes the key from the text: "s" would save instead of typing an s.

    A screen where the user types names its text box's class as ``TEXT_BOX``."""
    problems = []
    for node, bindings in bound:
        box: type[Widget] | None = getattr(node, "TEXT_BOX", None)
        if box is None:
            continue
        box_keys = {
            key: b.description
            for cls in reversed(box.__mro__)
            for b in cls.__dict__.get("BINDINGS", [])
            if isinstance(b, Binding)
            for key in _keys_of(b, {})
        }
        for binding in (b for b in bindings if b.id in keymap):
            defaults = set(_keys_of(binding, {}))  # a default that overrides the box's is meant
            for key in (k for k in _keys_of(binding, keymap) if k not in defaults):
                if (char := _typed(key)) is not None:
                    typed = "a space" if char == " " else f'"{char}"'
                    problems.append(
                        f"{key} for {binding.description} types {typed} in the text there: "
                        "give it a key with ctrl or alt"
                    )
                elif key in box_keys:
                    problems.append(
                        f"{key} for {binding.description} is {box_keys[key]} in the text "
                        "there: give it another key"
                    )
    return list(dict.fromkeys(problems))  # "cancel" is in several screens with a text box


def _typed(key: str) -> str | None:
    """The character ``key`` types into a text box, if it types one: a printable character
    with no modifier but shift."""
    *modifiers, name = key.split("+")
    char = _character(name)
    if not (set(modifiers) <= {"shift"} and char and char.isprintable()):
        return None
    return char.upper() if modifiers else char


def _keys_of(binding: Binding, keymap: dict[str, str]) -> list[str]:
    """The keys ``binding`` has under ``keymap``, as ``key_text`` writes them."""
    keys = keymap.get(binding.id or "", binding.key)
    return [key_text(Binding(key.strip(), binding.action)) for key in keys.split(",")]


def valid_key(key: str) -> bool:
    """Whether Textual can name ``key``: modifiers, then one character, a named key
    ("escape", "f5") or a character's name ("slash", "question_mark")."""
    *modifiers, name = key.split("+")
    if not name or not set(modifiers) <= MODIFIERS:
        return False
    return name in KEY_NAMES or _character(name) is not None


def _character(name: str) -> str | None:
    """The character a key's name stands for ("s", "slash", "space"), if any."""
    # Textual names "/" "slash" but reads that name back only as "solidus" (REPLACED_KEYS)
    return key_to_character(REPLACED_KEYS.get(name, name))


def key_text(binding: Binding) -> str:
    """``binding``'s key as text tells it: "ctrl+n", "/", "esc"."""
    modifiers, name = binding.parse_key()
    return "+".join([*modifiers, format_key(name)])


def keys_by_action(screen: Screen) -> dict[str, str]:
    """The key that runs each action on ``screen`` (the user's, where they chose one), for text
    that tells them what to press. App actions are named without ``app.``.

    Read from the screen's binding chain, keymap applied, rather than ``active_bindings``:
    that leaves out what ``check_action`` turns off, and the app turns its journal commands
    off while the command palette, which asks for them, is in front.
    """
    keys: dict[str, str] = {}
    for _node, bindings in screen._binding_chain:
        for _key, binding in bindings:
            keys.setdefault(binding.action.removeprefix("app."), key_text(binding))
    return keys


def press(screen: Screen, action: str, purpose: str) -> str:
    """ "Press <key> to <purpose>." with the key ``action`` has on ``screen`` now; the command
    palette when it has none."""
    key = keys_by_action(screen).get(action)
    if key is None:
        return f"To {purpose}, use the command palette (ctrl+p)."
    return f"Press {key} to {purpose}."
