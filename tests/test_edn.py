"""The EDN reader (sim/edn.py): values, errors with positions, and Jepsen op maps."""

import math
import os
from fractions import Fraction

import pytest

from sim import edn
from sim.edn import EdnError, Keyword, Symbol, Tagged

MAELSTROM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sim",
                         "calibration", "maelstrom-histories")


def test_scalars():
    assert edn.load_all("nil true false 42 -7 +3 42N 1.5 -2e3 2.0M 3/4") == [
        None, True, False, 42, -7, 3, 42, 1.5, -2000.0, 2.0, Fraction(3, 4)]
    assert math.isinf(edn.loads("##Inf")) and edn.loads("##-Inf") < 0
    assert math.isnan(edn.loads("##NaN"))


def test_strings_and_escapes():
    assert edn.loads(r'"a\"b\\c\nd\te\u00e9"') == 'a"b\\c\nd\te\u00e9'
    assert edn.loads('"multi\nline"') == "multi\nline"
    assert edn.loads('""') == ""


def test_characters():
    assert edn.load_all(r"\a \newline \space \tab \u00e9 \( \,") == ["a", "\n", " ", "\t", "é", "(", ","]
    assert edn.loads(r"[\a\b]") == ["a", "b"]


def test_keywords_and_symbols():
    kw = edn.loads(":key-does-not-exist")
    assert isinstance(kw, Keyword) and kw == "key-does-not-exist" and repr(kw) == ":key-does-not-exist"
    assert edn.loads(":final?") == "final?"
    assert edn.loads(":jepsen/op") == "jepsen/op"
    sym = edn.loads("knossos.model/cas-register")
    assert isinstance(sym, Symbol) and sym == "knossos.model/cas-register"
    assert edn.load_all("- + / ->x") == ["-", "+", "/", "->x"]


def test_collections():
    assert edn.loads("[1 [2 3] (4 5)]") == [1, [2, 3], [4, 5]]
    assert edn.loads("#{1 2 [3 4]}") == frozenset({1, 2, (3, 4)})
    assert edn.loads("{:a 1, :b {:c [nil]}}") == {"a": 1, "b": {"c": [None]}}


def test_maps_with_non_string_keys():
    m = edn.loads('{0 1, [1 2] :v, nil 3, "n0" #{"n2"}}')
    assert m[0] == 1 and m[(1, 2)] == "v" and m[None] == 3 and m["n0"] == frozenset({"n2"})


def test_comments_commas_and_discards():
    text = "; a comment\n[1, 2 #_ 3 #_ [4 5] 6] ; trailing\n#_ {:gone 1} :kept"
    assert edn.load_all(text) == [[1, 2, 6], "kept"]
    assert edn.loads("#_ #_ 1 2 3") == 3


def test_tagged_literals():
    assert edn.loads('#inst "2024-01-02T03:04:05.000-00:00"') == Tagged("inst", "2024-01-02T03:04:05.000-00:00")
    uuid = edn.loads('#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"')
    assert uuid.tag == "uuid" and uuid.value.startswith("f81d4fae")
    record = edn.loads("#knossos.model.CASRegister{:value 4}")
    assert record == Tagged("knossos.model.CASRegister", {"value": 4})


def test_loads_wants_exactly_one_value():
    with pytest.raises(EdnError, match="extra input"):
        edn.loads("1 2")
    with pytest.raises(EdnError, match="end of input"):
        edn.loads("  ; nothing\n")
    assert edn.load_all("") == []


@pytest.mark.parametrize("text, line, column, what", [
    ("{:a 1", 1, 1, "never closed"),
    ("[1 2)", 1, 5, "expected ']'"),
    ("[1\n  2 @x]", 2, 5, "invalid token '@x'"),
    ('"abc', 1, 1, "never closed"),
    ('"a\\qb"', 1, 3, "unknown string escape"),
    ('"\\u12"', 1, 2, "bad \\\\u escape"),
    ("{:a}", 1, 1, "even number"),
    ("{:a 1 :a 2}", 1, 1, "duplicate map key"),
    ("\n\n  )", 3, 3, "unmatched"),
    ("#?(:clj 1)", 1, 1, "unknown dispatch"),
    ("##Foo", 1, 1, "unknown symbolic value"),
    ("\\bogus", 1, 1, "unknown character literal"),
    ("1.5e", 1, 1, "invalid token"),
    (".5", 1, 1, "invalid token"),
    ("-1a", 1, 1, "invalid token"),
    (":", 1, 1, "invalid token"),
    ("#foo", 1, 5, "end of input"),
    ("1/0", 1, 1, "zero denominator"),
])
def test_errors_name_line_and_column(text, line, column, what):
    with pytest.raises(EdnError, match=what) as info:
        edn.load_all(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith(f"line {line}, column {column}:")


def test_to_op_maps_a_jepsen_op():
    op = edn.to_op(edn.loads(
        '{:index 3, :time 78767334, :type :fail, :process 1, :f :read, :value [0 nil], '
        ':error [:key-does-not-exist "key does not exist"]}'))
    assert op == {"index": 3, "time": 78767334, "type": "fail", "process": 1, "f": "read",
                  "value": [0, None], "error": ["key-does-not-exist", "key does not exist"],
                  "final": False}
    assert all(type(k) is str for k in op) and type(op["type"]) is str and type(op["f"]) is str


def test_to_op_nemesis_txn_and_final():
    nemesis = edn.to_op(edn.loads(
        '{:type :info, :process :nemesis, :f :start-partition, '
        ':value [:isolated {"n0" #{"n2" "n1"}}]}'))
    assert nemesis["process"] == "nemesis" and nemesis["value"] == ["isolated", {"n0": ["n1", "n2"]}]
    txn = edn.to_op(edn.loads("{:type :ok, :process 0, :f :txn, :value [[:append 9 1] [:r 8 [1 2]]]}"))
    assert txn["value"] == [["append", 9, 1], ["r", 8, [1, 2]]]
    final = edn.to_op(edn.loads("{:type :ok, :process 2, :f :read, :value -175, :final? true}"))
    assert final["final"] is True and "final?" not in final


def test_read_history_line_per_op_and_vector_forms():
    lines = "{:type :invoke, :process 0, :f :write, :value 1}\n{:type :ok, :process 0, :f :write, :value 1}\n"
    vector = "; a Knossos data file\n[" + lines + "]"
    assert edn.read_history(lines) == edn.read_history(vector)
    assert [op["type"] for op in edn.read_history(lines)] == ["invoke", "ok"]


def test_reads_maelstrom_histories():
    """Real lin-kv histories as Maelstrom wrote them (copies of shared calibration files)."""
    for name in ("linkv_proxy.edn.gz", "linkv_seqkv.edn.gz"):
        ops = edn.read_file(os.path.join(MAELSTROM, name))
        assert [op["index"] for op in ops] == list(range(len(ops)))
        assert {op["type"] for op in ops} == {"invoke", "ok", "fail", "info"}
        assert any(op["process"] == "nemesis" for op in ops)
