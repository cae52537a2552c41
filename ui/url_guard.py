"""Every URL-bound widget survives any string in its query parameter, and a refused one is said out loud.

Streamlit seeds a widget bound with `bind="query-params"` from the URL in one place
(`SessionState._seed_widget_from_url`, Streamlit pinned in requirements.txt). Left alone it crashes on
some strings (`?h=inf`: OverflowError from `int(inf)`) and silently drops others (`?arch=resnet5000`
shows the default net). `install()` wraps that one method, so every bound widget of every page —
including one added later — is covered without the page doing anything:

- any exception while reading the value clears the parameter (the widget keeps its default);
- a value refused (unparsable, out of range, unknown option) is named in one warning at the top of the
  page (a line per parameter): which parameter, what it takes, what is shown instead;
- a selection widget whose URL holds the option's short name (`?pvr_dataset=cifar10`, the dataset shown
  as "CIFAR-10 (…)") accepts it, matching names case-insensitively.

`ui.page.setup` calls `begin_page()` before any widget is drawn; it installs the wrapper (once per
process) and opens the container the warnings go into.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import threading

import streamlit as st
from streamlit.runtime.state import session_state as _session_state
from streamlit.runtime.state.query_params import is_empty_url_value, parse_url_param

NOTICE = "Link parameter"  # every warning starts with this (tests look for it)
_SHOWN = 40  # characters of a hostile value quoted back
_local = threading.local()  # per script run (each run has its own thread): the notice container
_installed = False
_install_lock = threading.Lock()


def begin_page() -> None:
    """Install the guard (once) and open this run's notice area; call before any bound widget."""
    install()
    _local.notices, _local.messages = st.empty(), []


def install() -> None:
    with _install_lock:  # sessions start on their own threads: wrap once, never twice
        _install()


def _install() -> None:
    global _installed
    if _installed:
        return
    original = getattr(_session_state.SessionState, "_seed_widget_from_url", None)
    if original is None:  # Streamlit changed: fail loudly rather than leave the URL unguarded
        raise RuntimeError("streamlit's SessionState._seed_widget_from_url is gone: update ui/url_guard.py")

    def guarded(self, metadata, user_key, widget_id, url_value):
        url_value = _alias(metadata, url_value)
        try:
            seeded = original(self, metadata, user_key, widget_id, url_value)
        except Exception:  # noqa: BLE001 — any string must leave the page working (OverflowError, ...)
            self._clear_url_param(user_key)
            seeded = False
        problem = _problem(metadata, url_value, seeded)
        if problem:
            _notify(f"{NOTICE} `{user_key}={_quote(url_value)}` ignored: {problem}")
        return seeded

    _session_state.SessionState._seed_widget_from_url = guarded
    _installed = True


# --------------------------------------------------------------------------- what was wrong, in words


def _serde(metadata):
    return getattr(metadata.deserializer, "__self__", None)


def _labels(metadata) -> list[str] | None:
    """The option labels a selection widget's URL value must be one of (None: not a selection)."""
    if metadata.formatted_options is not None:
        return list(metadata.formatted_options)
    index = getattr(_serde(metadata), "formatted_option_to_index", None)  # select_slider
    return list(index) if index is not None else None


def _alias(metadata, url_value):
    """A selection's short name (the option itself, not its label) or a case variant -> its label."""
    labels = _labels(metadata)
    serde = _serde(metadata)
    if not labels or metadata.value_type not in ("string_value", "string_array_value"):
        return url_value
    options = [str(o) for o in getattr(serde, "options", ())]
    by_name = {}
    for i, label in enumerate(labels):
        by_name.setdefault(label.lower(), label)
        if i < len(options):
            by_name.setdefault(options[i].lower(), label)

    def one(value: str) -> str:
        return value if value in labels else by_name.get(value.lower(), value)

    if isinstance(url_value, list):
        return [one(v) for v in url_value]
    return one(url_value)


def _problem(metadata, url_value, seeded: bool) -> str | None:
    """None if the URL's value was used (or equals the default); else what the parameter takes."""
    if is_empty_url_value(url_value):
        return None  # `?key=` says nothing: the control keeps its default
    try:
        parsed = parse_url_param(url_value, metadata.value_type)
    except Exception:  # noqa: BLE001
        return _takes(metadata)
    labels = _labels(metadata)
    if labels is not None and metadata.value_type in ("string_value", "string_array_value"):
        asked = parsed if isinstance(parsed, list) else [parsed]
        unknown = [v for v in asked if v not in labels]
        if unknown:
            return _unknown(unknown, labels, metadata)
        return None
    if seeded:  # taken, but perhaps changed on the way (1.5 into a whole-number control shows 1)
        try:
            shown = metadata.serializer(metadata.deserializer(parsed))
        except Exception:  # noqa: BLE001
            return None
        if _same(parsed, shown):
            return None
        return _takes(metadata).replace("the default is shown", f"{_quote(shown)} is shown")
    # not seeded: the value was the default (fine) or was refused and the default kept
    try:
        default = metadata.serializer(metadata.deserializer(None))
    except Exception:  # noqa: BLE001
        default = None
    if _same(parsed, default):
        return None
    return _takes(metadata)


def _same(parsed, default) -> bool:
    if parsed == default:
        return True
    if isinstance(parsed, list | tuple) and isinstance(default, list | tuple):
        return len(parsed) == len(default) and all(_same(a, b) for a, b in zip(parsed, default))
    try:
        return float(parsed) == float(default) and math.isfinite(float(parsed))
    except (TypeError, ValueError, OverflowError):
        return False


def _takes(metadata) -> str:
    serde = _serde(metadata)
    low, high = getattr(serde, "min_value", None), getattr(serde, "max_value", None)
    kind = {
        "int_value": "a whole number",
        "double_value": "a whole number" if getattr(serde, "data_type", None) == 0 else "a number",
        "bool_value": "true or false",
        "string_value": "text",
        "int_array_value": "whole numbers",
        "double_array_value": "numbers",
    }.get(metadata.value_type, "another value")
    if metadata.value_type == "double_array_value":  # a slider: one number, or two for a range
        kind = "a number"
    if _finite(low) and _finite(high) and abs(low) < 1e15 and abs(high) < 1e15:
        return f"it takes {kind} from {low:g} to {high:g}; the default is shown."
    return f"it takes {kind}; the default is shown."


def _unknown(unknown, labels, metadata) -> str:
    first = str(unknown[0])
    serde = _serde(metadata)
    names = [str(o) for o in getattr(serde, "options", ())] or list(labels)
    near = difflib.get_close_matches(first, names, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    what = "is not one of the choices" if len(unknown) == 1 else f"and {len(unknown) - 1} more are not choices"
    choices = f"; choices: {_list(names)}" if len(names) <= 12 else f"; {len(names)} choices, listed in the control"
    return f"`{_quote(first)}` {what}{hint}{choices}; the default is shown."


def _finite(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _list(items) -> str:
    return ", ".join(f"`{_quote(i)}`" for i in items)


def _quote(value) -> str:
    """The value, shortened and made inert for markdown (inside a code span: no HTML, no LaTeX)."""
    text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    text = text.replace("`", "'").replace("\n", " ")
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}… ({len(text):,} characters)"


def _notify(message: str) -> None:
    """All of a run's refusals in one box (a list), so a bad link costs one box, not a screenful."""
    area, messages = getattr(_local, "notices", None), getattr(_local, "messages", None)
    if messages is None:
        area, messages = st, []
    messages.append(message)
    body = messages[0] if len(messages) == 1 else "\n".join(f"- {m}" for m in messages)
    # inside a fragment rerun writing outside the fragment fails: the message is lost, the page is not
    with contextlib.suppress(Exception):
        area.warning(body, icon="🔗")
