"""Closed schemas for replies to Maelstrom's clients.

A schema is one of:
  int          an int that is not a bool
  str, bool    that type
  object       anything JSON
  [S]          a list whose items match S
  (S1, S2...)  a list of exactly those items
  {"k": S}     a map with exactly those keys (plus in_reply_to/msg_id/type at the top level);
               wrap a value in Optional(S) for a key that may be absent
  MapOf(S)     a map with any string keys whose values match S
  Nullable(S)  None or S
  Eq(x)        exactly the value x
  Either(S1, S2...)  whichever of the schemas matches
"""


class Optional:
    def __init__(self, schema):
        self.schema = schema


class MapOf:
    def __init__(self, schema):
        self.schema = schema


class Nullable:
    def __init__(self, schema):
        self.schema = schema


class Eq:
    def __init__(self, value):
        self.value = value


class Either:
    def __init__(self, *schemas):
        self.schemas = schemas


REPLY_ENVELOPE = ("type", "in_reply_to", "msg_id")


def validate(value, schema, path="body", allowed_extra=()):
    """Return None when value matches schema, else a one-line description of the mismatch."""
    if schema is object:
        return None
    if schema is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{path}: expected an int, got {value!r}"
    if schema in (str, bool):
        return None if isinstance(value, schema) else f"{path}: expected {schema.__name__}, got {value!r}"
    if isinstance(schema, Nullable):
        return None if value is None else validate(value, schema.schema, path)
    if isinstance(schema, Eq):
        ok = type(value) is type(schema.value) and value == schema.value
        return None if ok else f"{path}: expected {schema.value!r}, got {value!r}"
    if isinstance(schema, Either):
        errors = [validate(value, sub, path) for sub in schema.schemas]
        return None if None in errors else " or ".join(errors)
    if isinstance(schema, list):
        if not isinstance(value, list):
            return f"{path}: expected a list, got {value!r}"
        for i, item in enumerate(value):
            err = validate(item, schema[0], f"{path}[{i}]")
            if err:
                return err
        return None
    if isinstance(schema, tuple):
        if not isinstance(value, list) or len(value) != len(schema):
            return f"{path}: expected a list of {len(schema)}, got {value!r}"
        for i, (item, sub) in enumerate(zip(value, schema)):
            err = validate(item, sub, f"{path}[{i}]")
            if err:
                return err
        return None
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            return f"{path}: expected a map, got {value!r}"
        for k, v in value.items():
            err = validate(v, schema.schema, f"{path}.{k}")
            if err:
                return err
        return None
    if isinstance(schema, dict):
        return _validate_map(value, schema, path, allowed_extra)
    raise TypeError(f"bad schema {schema!r}")


def _validate_map(value, schema, path, allowed_extra):
    if not isinstance(value, dict):
        return f"{path}: expected a map, got {value!r}"
    extra = [k for k in value if k not in schema and k not in allowed_extra]
    if extra:
        return f"{path}: unexpected key(s) {', '.join(map(repr, extra))}"
    for key, sub in schema.items():
        optional = isinstance(sub, Optional)
        if key not in value:
            if optional:
                continue
            return f"{path}: missing key {key!r}"
        err = validate(value[key], sub.schema if optional else sub, f"{path}.{key}")
        if err:
            return err
    return None


def validate_reply(body, schema):
    """Check a client-facing reply body (type already known to be the expected one)."""
    return validate(body, schema, "body", REPLY_ENVELOPE)
