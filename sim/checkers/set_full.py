"""Jepsen's set-full checker: values added to a set, and reads of the whole set. Broadcast uses
it with `broadcast` as the add, g-set with `add`.

For each added value:
  known         the add's ok, or the first ok read that saw the value, whichever comes first
                in the history;
  last present  the latest-invoked ok read that contained it; last absent, one that missed it;
  stable        some read saw it and every read invoked after that one also saw it;
  lost          known, and the latest-invoked read missed it, and that read was invoked after
                the value became known;
  never read    neither.
Only reads completing after a value's add was invoked count for it. Stable latency =
(invocation time of the last read that missed it + 1 ns) - known time, floored at 0, in whole
ms (0 when no read ever missed it). The run is invalid when a value is lost, and only then, as
in Maelstrom (whose duplicate count compares a frequency with 1 the wrong way round and whose
reads may contain anything). A read that repeats a value or returns a value nobody added is
reported under "warnings" but leaves the run valid.

A read's items are compared as Clojure compares them: a null read is the empty set, and only an
int equals an int element (1.0 or true does not, though Python's == says so); items that are
neither ints nor strings are kept as their JSON text, so any JSON a g-set node returns counts.
"""

import json
import math
from collections import Counter

QUANTILES = (0, 0.5, 0.95, 0.99, 1)
LIST_CAP = 50    # value lists in the result are cut to this many (counts stay exact)


class Element:
    """What the history says about one added value."""

    __slots__ = ("value", "known", "last_present", "last_absent")

    def __init__(self, value):
        self.value = value
        self.known = None          # the op whose completion first proved the value exists
        self.last_present = None   # latest-invoked ok read containing it
        self.last_absent = None    # latest-invoked ok read missing it

    def saw(self, read, present):
        if present:
            self.known = self.known or read
            if self.last_present is None or self.last_present.invoke_index < read.invoke_index:
                self.last_present = read
        elif self.last_absent is None or self.last_absent.invoke_index < read.invoke_index:
            self.last_absent = read

    def outcome(self):
        """(outcome, stable latency ms or None, lost latency ms or None)."""
        present = self.last_present.invoke_index if self.last_present else -1
        absent = self.last_absent.invoke_index if self.last_absent else -1
        if self.last_present and absent < present:
            since = self.last_absent.invoke_time + 1 if self.last_absent else 0
            return "stable", _ms(since - self.known.time), None
        if self.known and self.last_absent and present < absent and self.known.index < absent:
            since = self.last_present.invoke_time + 1 if self.last_present else 0
            return "lost", None, _ms(since - self.known.time)
        return "never-read", None, None


def _ms(nanos):
    return int(max(0, nanos) / 1_000_000)


def quantiles(values):
    """Jepsen's frequency-distribution: the element at floor(n * q), capped at n - 1."""
    ordered = sorted(values)
    if not ordered:
        return None
    n = len(ordered)
    return {_key(q): ordered[min(n - 1, math.floor(n * q))] for q in QUANTILES}


def _key(q):
    return str(int(q)) if q in (0, 1) else str(q)


def scan(history, add_f, read_f):
    """Fold the ops, in real-time order, into Elements; also collect duplicated and
    unexpected values."""
    elements = {}
    duplicated, unexpected = {}, set()
    for op, invoked in history.events:
        if invoked:
            if op.f == add_f:
                elements[op.invoke_value] = Element(op.invoke_value)
        elif op.f == add_f:
            element = elements.get(op.value)
            if op.type == "ok" and element is not None:
                element.known = element.known or op
        elif op.f == read_f and op.type == "ok":
            _read(elements, op, duplicated, unexpected)
    return elements, duplicated, unexpected


def _item(value):
    """A read item as a hashable key that equals an added element only when Clojure's = would."""
    if type(value) in (int, str):
        return value
    return "json:" + json.dumps(value, sort_keys=True)


def _sorted(items):
    """Read items (ints and strings, see _item) in order: the ints, then the strings."""
    return sorted(i for i in items if type(i) is int) + sorted(s for s in items if type(s) is str)


def _read(elements, op, duplicated, unexpected):
    counts = Counter(_item(v) for v in op.value or ())
    for v, n in counts.items():
        if n > 1:
            duplicated[v] = max(n, duplicated.get(v, 0))
        if v not in elements:
            unexpected.add(v)
    seen = counts.keys()
    for value, element in elements.items():
        element.saw(op, value in seen)


def check(history, add_f="add", read_f="read"):
    """Jepsen's set-full verdict over a history of adds and reads, as a JSON-able dict."""
    elements, duplicated, unexpected = scan(history, add_f, read_f)
    outcomes = {"stable": [], "lost": [], "never-read": []}
    stable_lat, lost_lat, stale = [], [], []
    for value in sorted(elements):
        outcome, stable_ms, lost_ms = elements[value].outcome()
        outcomes[outcome].append(value)
        if stable_ms is not None:
            stable_lat.append(stable_ms)
            if stable_ms > 0:
                stale.append((stable_ms, value))
        if lost_ms is not None:
            lost_lat.append(lost_ms)
    # A value added later may have been read before its invocation; only values never
    # attempted at all are unexpected.
    unexpected -= set(elements)
    errors, warnings = [], []
    if outcomes["lost"]:
        errors.append(f"{len(outcomes['lost'])} acknowledged value(s) lost")
    if not outcomes["stable"] and not outcomes["lost"]:
        errors.append("no value ever became stable (unknown)")
    if duplicated:
        warnings.append(f"{len(duplicated)} value(s) repeated within one read")
    if unexpected:
        warnings.append(f"{len(unexpected)} value(s) read that nobody added")
    stale.sort(reverse=True)
    result = {
        "valid": not errors,
        "attempt_count": len(elements),
        "stable_count": len(outcomes["stable"]),
        "lost_count": len(outcomes["lost"]),
        "lost": outcomes["lost"][:LIST_CAP],
        "never_read_count": len(outcomes["never-read"]),
        "never_read": outcomes["never-read"][:LIST_CAP],
        "stale_count": len(stale),
        "worst_stale": [{"value": v, "stable_latency": ms} for ms, v in stale[:8]],
        "duplicated_count": len(duplicated),
        "duplicated": {str(k): duplicated[k] for k in _sorted(duplicated)},
        "unexpected_count": len(unexpected),
        "unexpected": _sorted(unexpected)[:LIST_CAP],
        "stable_latencies": quantiles(stable_lat),
        "errors": errors,
        "warnings": warnings,
    }
    if lost_lat:
        result["lost_latencies"] = quantiles(lost_lat)
    return result
