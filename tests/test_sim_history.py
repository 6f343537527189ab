"""The paired history: invocations matched to completions by process, in real-time order."""

from sim.history import History


def entry(index, type_, f, value=None, process=0, final=False):
    return {"index": index, "type": type_, "f": f, "value": value, "process": process,
            "time": index * 10, "final": final}


def test_ops_are_paired_by_process_and_keep_both_halves():
    h = History([entry(0, "invoke", "read", process=0), entry(1, "invoke", "add", 5, process=1),
                 entry(2, "ok", "add", 5, process=1), entry(3, "ok", "read", 7, process=0)])
    read, add = h.ops
    assert (read.f, read.process, read.type, read.value) == ("read", 0, "ok", 7)
    assert (read.invoke_index, read.index, read.invoke_time, read.time) == (0, 3, 0, 30)
    assert read.invoke_value is None and add.invoke_value == 5
    assert [op.f for op in h.completed] == ["add", "read"]          # completion order
    assert [(op.f, invoked) for op, invoked in h.events] == [
        ("read", True), ("add", True), ("add", False), ("read", False)]


def test_a_process_reused_after_completion_gets_a_new_op():
    h = History([entry(0, "invoke", "read"), entry(1, "fail", "read"),
                 entry(2, "invoke", "read"), entry(3, "info", "read")])
    assert [(op.invoke_index, op.index, op.type) for op in h.ops] == [(0, 1, "fail"),
                                                                     (2, 3, "info")]


def test_pending_ops_have_no_completion_and_nemesis_ops_stay_apart():
    nemesis = {"index": 1, "type": "info", "f": "start-partition", "value": "one",
               "process": "nemesis", "time": 10}
    h = History([entry(0, "invoke", "add", 3, final=True), nemesis])
    (op,) = h.ops
    assert op.type is None and op.completion is None and op.final is True
    assert (op.value, op.index) == (3, 0)                  # the invocation's, while pending
    assert h.pending() == [op] and h.completed == []
    assert h.nemesis == [nemesis]


def test_a_completion_nobody_invoked_stands_for_its_own_invocation():
    h = History([entry(0, "ok", "read", [1], process=4)])
    (op,) = h.ops
    assert op.invocation is None and op.type == "ok" and op.invoke_index == 0
    assert op.invoke_value is None
    assert h.events == [(op, False)]


def test_entries_without_an_index_are_numbered_by_position():
    raw = [{"type": "invoke", "f": "read", "process": 0}, {"type": "ok", "f": "read", "process": 0}]
    (op,) = History(raw).ops
    assert (op.invoke_index, op.index) == (0, 1)
    assert "index" not in raw[0]                            # the raw entries are left alone
