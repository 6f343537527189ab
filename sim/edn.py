"""A small EDN reader, enough for Jepsen/Maelstrom histories and results (standard library only).

Approach: one recursive-descent pass over the text, with regular expressions for whitespace
(commas and `;` comments count as whitespace), atoms and strings.

  nil true false     -> None True False
  42 -7 42N          -> int            3/4 -> fractions.Fraction
  1.5 1e3 2.0M       -> float          ##Inf ##-Inf ##NaN -> float
  "a\\n\\u00e9"       -> str            \\a \\newline \\u00e9 -> a one-character str
  :type              -> Keyword("type")   (a str subclass: equal to "type", repr ":type")
  foo  ns/bar        -> Symbol("foo")     (a str subclass)
  [..] (..)          -> list
  {..}               -> dict     (a vector or list used as a key becomes a tuple)
  #{..}              -> frozenset
  #_ form            -> discarded
  #tag form          -> Tagged(tag, value), e.g. #inst "..." or #knossos.model.CASRegister{..}

Anything else raises EdnError naming the line and column (both from 1).

`loads(text)` reads exactly one value, `load_all(text)` every top-level value (Maelstrom's
`history.edn` is one op map per line). `to_op` and `read_history` turn EDN op maps into the
simulator's op dicts (see sim/workloads/base.py): keywords become plain strings, `:final?`
becomes "final"; `read_file` does it for a file, gzipped when its name ends in .gz.
"""

import gzip
import re
from collections import namedtuple
from fractions import Fraction

__all__ = ["EdnError", "Keyword", "Symbol", "Tagged", "loads", "load_all", "to_op", "read_history",
           "read_file"]


class EdnError(ValueError):
    """Malformed EDN; the message starts with `line L, column C:`."""

    def __init__(self, text, pos, what):
        self.line = text.count("\n", 0, pos) + 1
        self.column = pos - text.rfind("\n", 0, pos)
        super().__init__(f"line {self.line}, column {self.column}: {what}")


class Keyword(str):
    """An EDN keyword, holding its name without the colon."""

    def __repr__(self):
        return ":" + str(self)


class Symbol(str):
    """An EDN symbol."""

    def __repr__(self):
        return str(self)


Tagged = namedtuple("Tagged", "tag value")

_SKIP = re.compile(r"(?:[\s,]+|;[^\n]*)*")
_ATOM = re.compile(r"[^\s,()\[\]{}\"\\;]+")
_INT = re.compile(r"[+-]?\d+N?\Z")
_RATIO = re.compile(r"[+-]?\d+/\d+\Z")
_FLOAT = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?M?\Z")
_NAME = r"(?:[A-Za-z*!_?$%&=<>.+-][\w*!_?$%&=<>.+\-#:']*)"
_SYMBOL = re.compile(rf"(?:{_NAME}/)?{_NAME}\Z|/\Z")
_KEYWORD = re.compile(rf":(?:{_NAME}/)?{_NAME}\Z")
_STRING_PART = re.compile(r'[^"\\]+')
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/"}
_CHAR_NAMES = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r",
               "formfeed": "\f", "backspace": "\b"}
_SPECIAL_FLOATS = {"Inf": float("inf"), "-Inf": float("-inf"), "NaN": float("nan")}
_CLOSERS = {"[": "]", "(": ")", "{": "}"}


class _Reader:
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def error(self, what, pos=None):
        return EdnError(self.text, self.pos if pos is None else pos, what)

    def skip(self):
        self.pos = _SKIP.match(self.text, self.pos).end()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self):
        """The next value, skipping discards; error at the end of the text."""
        while True:
            ch = self.skip()
            if not ch:
                raise self.error("unexpected end of input")
            if self.text.startswith("#_", self.pos):
                self.pos += 2
                self.value()
                continue
            return self.form(ch)

    def form(self, ch):
        if ch in _CLOSERS:
            start = self.pos
            self.pos += 1
            items = self.items(_CLOSERS[ch], start)
            return self.to_map(items, start) if ch == "{" else items
        if ch == '"':
            return self.string()
        if ch == "\\":
            return self.char()
        if ch == "#":
            return self.dispatch()
        if ch in ")]}":
            raise self.error(f"unmatched {ch!r}")
        return self.atom()

    def items(self, closer, start):
        """Values up to `closer`, which is consumed."""
        out = []
        while True:
            ch = self.skip()
            if not ch:
                raise self.error(f"{self.text[start]!r} opened here is never closed", start)
            if ch == closer:
                self.pos += 1
                return out
            if ch in ")]}":
                raise self.error(f"expected {closer!r}, found {ch!r}")
            if self.text.startswith("#_", self.pos):
                self.pos += 2
                self.value()
                continue
            out.append(self.form(ch))

    def to_map(self, items, start):
        if len(items) % 2:
            raise self.error("a map needs an even number of forms", start)
        out = {}
        for k, v in zip(items[::2], items[1::2]):
            k = hashable(k)
            if k in out:
                raise self.error(f"duplicate map key {k!r}", start)
            out[k] = v
        return out

    def string(self):
        start = self.pos
        self.pos += 1
        parts = []
        text = self.text
        while True:
            m = _STRING_PART.match(text, self.pos)
            if m:
                parts.append(m.group())
                self.pos = m.end()
            if self.pos >= len(text):
                raise self.error("string opened here is never closed", start)
            if text[self.pos] == '"':
                self.pos += 1
                return "".join(parts)
            parts.append(self.escape())

    def escape(self):
        code = self.text[self.pos + 1:self.pos + 2]
        if code == "u":
            digits = self.text[self.pos + 2:self.pos + 6]
            if not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                raise self.error("bad \\u escape in string")
            self.pos += 6
            return chr(int(digits, 16))
        if code not in _ESCAPES:
            raise self.error(f"unknown string escape \\{code}")
        self.pos += 2
        return _ESCAPES[code]

    def char(self):
        start = self.pos
        m = _ATOM.match(self.text, self.pos + 1)
        name = m.group() if m else self.text[self.pos + 1:self.pos + 2]
        if not name or name.isspace():
            raise self.error("a character literal needs a character", start)
        self.pos += 1 + len(name)
        if len(name) == 1:
            return name
        if name in _CHAR_NAMES:
            return _CHAR_NAMES[name]
        if re.fullmatch(r"u[0-9a-fA-F]{4}", name):
            return chr(int(name[1:], 16))
        raise self.error(f"unknown character literal \\{name}", start)

    def dispatch(self):
        start = self.pos
        nxt = self.text[self.pos + 1:self.pos + 2]
        if nxt == "{":
            self.pos += 2
            items = self.items("}", start)
            try:
                return frozenset(hashable(x) for x in items)
            except TypeError as e:
                raise self.error(f"unhashable set element: {e}", start) from None
        if nxt == "#":
            m = _ATOM.match(self.text, self.pos + 2)
            name = m.group() if m else ""
            if name not in _SPECIAL_FLOATS:
                raise self.error(f"unknown symbolic value ##{name}", start)
            self.pos = m.end()
            return _SPECIAL_FLOATS[name]
        m = _ATOM.match(self.text, self.pos + 1)
        tag = m.group() if m else ""
        if not nxt.isalpha() or not _SYMBOL.match(tag):
            raise self.error(f"unknown dispatch #{nxt}", start)
        self.pos = m.end()
        return Tagged(tag, self.value())

    def atom(self):
        start = self.pos
        m = _ATOM.match(self.text, self.pos)
        token = m.group()
        self.pos = m.end()
        if token == "nil":
            return None
        if token in ("true", "false"):
            return token == "true"
        if _INT.match(token):
            return int(token.rstrip("N"))
        if _RATIO.match(token):
            num, den = token.split("/")
            if int(den) == 0:
                raise self.error(f"ratio with a zero denominator: {token}", start)
            return Fraction(int(num), int(den))
        if _FLOAT.match(token):
            return float(token.rstrip("M"))
        if token.startswith(":"):
            if _KEYWORD.match(token):
                return Keyword(token[1:])
        elif _SYMBOL.match(token) and not re.match(r"[+\-.]\d", token):
            return Symbol(token)
        raise self.error(f"invalid token {token!r}", start)


def hashable(x):
    """x usable as a dict key or set element: lists become tuples, dicts frozensets of pairs."""
    if isinstance(x, list):
        return tuple(hashable(v) for v in x)
    if isinstance(x, dict):
        return frozenset((k, hashable(v)) for k, v in x.items())
    return x


def load_all(text):
    """Every top-level value in text, in order."""
    reader = _Reader(text)
    out = []
    while True:
        ch = reader.skip()
        if not ch:
            return out
        if text.startswith("#_", reader.pos):
            reader.pos += 2
            reader.value()
            continue
        out.append(reader.form(ch))


def loads(text):
    """The single value in text."""
    reader = _Reader(text)
    value = reader.value()
    if reader.skip():
        raise reader.error("extra input after the value")
    return value


# --- Jepsen op maps -> simulator op dicts -------------------------------------------------

def plain(x):
    """x with EDN-specific types turned into the simulator's JSON-like values."""
    if isinstance(x, (Keyword, Symbol)):
        return str(x)
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, dict):
        return {plain_key(k): plain(v) for k, v in x.items()}
    if isinstance(x, frozenset):
        items = [plain(v) for v in x]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(x, Tagged):
        return plain(x.value)
    return x


def plain_key(k):
    if isinstance(k, (Keyword, Symbol)):
        return str(k)
    if isinstance(k, tuple):
        return tuple(plain_key(v) for v in k)
    return k


def to_op(m):
    """A Jepsen op map {:type :invoke, :f :read, ...} as a simulator op dict."""
    if not isinstance(m, dict):
        raise ValueError(f"an op must be a map, got {m!r}")
    op = {plain_key(k): plain(v) for k, v in m.items()}
    op["final"] = bool(op.pop("final?", op.get("final", False)))
    return op


def read_history(text):
    """A history file's ops as simulator op dicts: one op map per line (Maelstrom's
    history.edn) or a single vector/list of op maps (Knossos's data files)."""
    values = load_all(text)
    if len(values) == 1 and isinstance(values[0], list):
        values = values[0]
    return [to_op(v) for v in values]


def read_file(path):
    """read_history of a file's text (UTF-8, gunzipped if the name ends in .gz)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return read_history(f.read())
