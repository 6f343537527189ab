"""lin_kv.py as one node of three, the test playing its two peers and the clients
(the single-node transcript is tests/transcripts/lin_kv.txt). Only the order of
events is asserted, never how long anything took."""
import time

from transcript import Session

IDS = ["n0", "n1", "n2"]


def start(node_id="n1"):
    return Session.initialised(["lin_kv.py"], node_id, IDS)


def next_message(session, dest=None, kind=None):
    return session.next_message(dest, kind)


def peer(session, src, body, dest="n1"):
    session.send({"src": src, "dest": dest, "body": body})


def append(term, prev_index, prev_term, entries=(), commit=0):
    return {"type": "raft_append", "term": term, "prev_index": prev_index,
            "prev_term": prev_term, "entries": list(entries), "commit": commit,
            "sent": time.monotonic(), "ack": True}


def test_a_follower_refuses_without_a_leader_then_forwards_and_applies():
    s = start()
    try:
        peer(s, "c1", {"type": "write", "msg_id": 1, "key": 0, "value": 1})
        reply = next_message(s, dest="c1")["body"]
        assert (reply["type"], reply["code"], reply["in_reply_to"]) == ("error", 11, 1)
        peer(s, "n0", append(1, 0, 0, [[1, None, None]]))          # n0 leads term 1
        peer(s, "c1", {"type": "write", "msg_id": 2, "key": 0, "value": 7})
        forward = next_message(s, "n0", "raft_forward")["body"]
        [[command_id, command]] = forward["commands"]
        assert (command["client"], command["msg_id"], command["value"]) == ("c1", 2, 7)
        peer(s, "n0", append(1, 1, 1, [[1, command_id, command]]))
        peer(s, "c2", {"type": "read", "msg_id": 1, "key": 0})
        [read] = next_message(s, "n0", "raft_forward")["body"]["reads"]
        assert read.pop("at") <= time.monotonic()        # when it arrived, for the deadline
        assert read == {"client": "c2", "msg_id": 1, "key": 0}
        code, rest = s.close()
        assert code == 0 and all('"dest":"c' not in line for line in rest)   # n0 answers
    finally:
        s.kill()


def serve_peers(session, until):
    """Play n0 and n2 as willing followers (grant every vote, accept and acknowledge
    every append) until the node sends a message for which until(msg) holds."""
    while True:
        msg = session.expect_json()
        if until(msg):
            return msg
        body, dest = msg["body"], msg["dest"]
        if body["type"] == "raft_vote":
            peer(session, dest, {"type": "raft_vote_res", "pre": body["pre"],
                                 "term": body["term"] - 1 if body["pre"] else body["term"],
                                 "granted": True})
        elif body["type"] == "raft_append" and body["ack"]:
            peer(session, dest, {"type": "raft_append_res", "term": body["term"],
                                 "success": True, "sent": body["sent"],
                                 "match": body["prev_index"] + len(body["entries"])})


def to(client):
    return lambda msg: msg["dest"] == client


def test_an_elected_node_answers_its_own_and_forwarded_clients():
    s = start()
    try:
        serve_peers(s, lambda msg: msg["body"]["type"] == "raft_append")   # it leads
        peer(s, "c1", {"type": "write", "msg_id": 5, "key": 3, "value": 9})
        assert serve_peers(s, to("c1"))["body"] == {"type": "write_ok", "in_reply_to": 5}
        forward(s, "n2", {"client": "c7", "msg_id": 4, "op": "cas", "key": 3, "from": 9,
                          "to": 10, "at": time.monotonic()})
        assert serve_peers(s, to("c7"))["body"] == {"type": "cas_ok", "in_reply_to": 4}
        peer(s, "c1", {"type": "read", "msg_id": 6, "key": 3})
        assert serve_peers(s, to("c1"))["body"] == {"type": "read_ok", "value": 10,
                                                    "in_reply_to": 6}
    finally:
        s.kill()


def forward(session, src, command, command_id="n2:1"):
    peer(session, src, {"type": "raft_forward", "reads": [], "commands": [[command_id, command]]})


def test_an_op_whose_client_gave_up_is_applied_but_not_answered():
    """A client waits 1 s: an op that arrived 5 s ago takes effect silently (no late reply),
    and the next op on the key sees it."""
    s = start()
    try:
        serve_peers(s, lambda msg: msg["body"]["type"] == "raft_append")   # it leads
        forward(s, "n2", {"client": "c7", "msg_id": 4, "op": "write", "key": 3, "value": 9,
                          "at": time.monotonic() - 5})
        peer(s, "c1", {"type": "cas", "msg_id": 5, "key": 3, "from": 9, "to": 1})
        assert serve_peers(s, lambda msg: msg["dest"].startswith("c"))["body"] == {
            "type": "cas_ok", "in_reply_to": 5}
        code, _ = s.close()
        assert code == 0 and any("not answering c7 msg 4" in line for line in s.stderr)
    finally:
        s.kill()
