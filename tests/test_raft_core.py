"""raft.py: the pure rules by hand (votes, log matching, commit), then whole clusters
on a fake clock and an in-memory network (tests/raft_cluster.py): elections,
re-election, a quiet heal, batching, forwarding, reads, and random partitions.
Every time below is simulated time: nothing here depends on the machine's speed."""
import pytest

from raft import CANDIDATE, FOLLOWER, LEADER, PRE_CANDIDATE, Entry, Links, Log, Raft, Timing
from raft_cluster import Cluster

T = Timing()
THREE = ["n1", "n2", "n3"]
FIVE = ["n1", "n2", "n3", "n4", "n5"]


def node(node_id="n1", ids=THREE, term=0, log_terms=(), now=0.0):
    """A follower with the given term and a log whose entries have `log_terms`."""
    raft = Raft(node_id, ids, now=now)
    raft.term = term
    raft.log += [Entry(t, f"c{i}", {"op": f"c{i}"}) for i, t in enumerate(log_terms, 1)]
    return raft


def vote(raft, src, term, last_index, last_term, pre=False, now=1.0):
    raft.receive(src, {"type": "raft_vote", "pre": pre, "term": term,
                       "last_index": last_index, "last_term": last_term}, now)
    [(dest, body)] = raft.take_ready().messages
    assert dest == src and body["type"] == "raft_vote_res"
    return body["granted"]


def append(raft, src, term, prev_index, prev_term, entry_terms=(), commit=0, now=1.0, ack=True):
    entries = [[t, f"x{prev_index + i}", {"op": f"x{prev_index + i}"}]
               for i, t in enumerate(entry_terms, 1)]
    raft.receive(src, {"type": "raft_append", "term": term, "prev_index": prev_index,
                       "prev_term": prev_term, "entries": entries, "commit": commit,
                       "sent": now, "ack": ack}, now)
    replies = [body for _, body in raft.take_ready().messages]
    return replies[0] if replies else None


def terms(raft):
    return [e.term for e in raft.log[1:]]


# -- votes ------------------------------------------------------------------------

def test_grants_one_vote_per_term_to_an_up_to_date_candidate():
    raft = node(term=1, log_terms=[1, 1])
    assert vote(raft, "n2", term=2, last_index=2, last_term=1)
    assert (raft.term, raft.voted_for) == (2, "n2")
    assert not vote(raft, "n3", term=2, last_index=5, last_term=2)   # already voted
    assert vote(raft, "n2", term=2, last_index=2, last_term=1)       # a repeated request
    assert vote(raft, "n3", term=3, last_index=2, last_term=1)       # a new term


def test_denies_a_stale_term_and_an_older_log():
    raft = node(term=3, log_terms=[1, 2, 2])
    assert not vote(raft, "n2", term=2, last_index=9, last_term=2)
    assert not vote(raft, "n2", term=4, last_index=9, last_term=1)   # older last term
    assert not vote(raft, "n2", term=5, last_index=2, last_term=2)   # same term, shorter
    assert raft.voted_for is None and raft.term == 5                 # the term is adopted
    assert vote(raft, "n2", term=5, last_index=1, last_term=3)       # newer last term wins


def test_pre_vote_changes_nothing():
    raft = node(term=1, log_terms=[1])
    assert vote(raft, "n2", term=2, last_index=1, last_term=1, pre=True)
    assert not vote(raft, "n2", term=1, last_index=1, last_term=1, pre=True)  # no higher term
    assert (raft.term, raft.voted_for, raft.role) == (1, None, FOLLOWER)


def test_a_node_that_hears_its_leader_refuses_votes_and_keeps_its_term():
    raft = node(term=1)
    append(raft, "n2", term=1, prev_index=0, prev_term=0, now=1.0)
    guard_ends = 1.0 + T.election_min
    assert not vote(raft, "n3", term=2, last_index=0, last_term=0, now=guard_ends - 0.01)
    assert not vote(raft, "n3", term=2, last_index=0, last_term=0, pre=True,
                    now=guard_ends - 0.01)
    assert raft.term == 1 and raft.leader == "n2"
    assert vote(raft, "n3", term=2, last_index=0, last_term=0, now=guard_ends)
    assert raft.term == 2 and raft.leader is None


def test_pre_vote_then_vote_then_leadership():
    raft = node(term=1, log_terms=[1])
    raft.tick(1.0)                       # past the first election deadline
    out = raft.take_ready().messages
    assert raft.role == PRE_CANDIDATE and raft.term == 1
    assert {dest for dest, _ in out} == {"n2", "n3"}
    assert all(body["pre"] and body["term"] == 2 for _, body in out)
    raft.receive("n2", {"type": "raft_vote_res", "pre": True, "term": 1, "granted": True}, 1.0)
    assert raft.role == CANDIDATE and raft.term == 2 and raft.voted_for == "n1"
    raft.take_ready()
    raft.receive("n3", {"type": "raft_vote_res", "pre": False, "term": 2, "granted": True}, 1.0)
    assert raft.role == LEADER and raft.leader == "n1"
    assert terms(raft) == [1, 2]         # a no-op of the new term


def test_a_refusal_with_a_higher_term_ends_the_campaign():
    raft = node(term=1)
    raft.tick(1.0)
    raft.receive("n2", {"type": "raft_vote_res", "pre": True, "term": 4, "granted": False}, 1.0)
    assert raft.role == FOLLOWER and raft.term == 4


# -- log matching ---------------------------------------------------------------------

def test_appends_and_acknowledges_what_matches():
    raft = node(term=1)
    reply = append(raft, "n2", term=1, prev_index=0, prev_term=0, entry_terms=[1, 1])
    assert reply["success"] and reply["match"] == 2 and terms(raft) == [1, 1]
    reply = append(raft, "n2", term=1, prev_index=2, prev_term=1, entry_terms=[1])
    assert reply["match"] == 3 and terms(raft) == [1, 1, 1]


def test_acknowledges_only_when_asked_but_always_refuses():
    raft = node(term=1)
    assert append(raft, "n2", term=1, prev_index=0, prev_term=0, entry_terms=[1], ack=False) is None
    refusal = append(raft, "n2", term=1, prev_index=5, prev_term=1, ack=False)
    assert refusal["success"] is False


def test_refuses_a_gap_pointing_past_its_last_entry():
    raft = node(term=2, log_terms=[1, 1])
    reply = append(raft, "n2", term=2, prev_index=4, prev_term=2)
    assert not reply["success"]
    assert (reply["conflict_index"], reply["conflict_term"]) == (3, None)


def test_refuses_a_conflict_pointing_at_the_first_entry_of_its_term():
    raft = node(term=3, log_terms=[1, 2, 2, 2])
    reply = append(raft, "n2", term=3, prev_index=4, prev_term=3)
    assert (reply["conflict_index"], reply["conflict_term"]) == (2, 2)
    assert terms(raft) == [1, 2, 2, 2]   # a refusal changes nothing


def test_truncates_from_the_first_conflict():
    raft = node(term=3, log_terms=[1, 1, 2, 2])
    append(raft, "n2", term=3, prev_index=2, prev_term=1, entry_terms=[3])
    assert terms(raft) == [1, 1, 3]


def test_a_late_shorter_append_cuts_nothing():
    raft = node(term=1)
    append(raft, "n2", term=1, prev_index=0, prev_term=0, entry_terms=[1, 1, 1])
    reply = append(raft, "n2", term=1, prev_index=0, prev_term=0, entry_terms=[1])
    assert terms(raft) == [1, 1, 1] and reply["match"] == 1


def test_a_stale_leader_is_told_the_newer_term():
    raft = node(term=5)
    reply = append(raft, "n2", term=4, prev_index=0, prev_term=0)
    assert not reply["success"] and reply["term"] == 5 and raft.leader is None


def leader_of(ids, log_terms, term):
    """Make ids[0] the leader of `term` (votes by hand), with `log_terms` before its no-op."""
    raft = node(ids[0], ids, term=term - 1, log_terms=log_terms)
    raft.tick(1.0)
    for pre, answer_term in ((True, term - 1), (False, term)):
        for peer in ids[1:]:
            raft.receive(peer, {"type": "raft_vote_res", "pre": pre, "term": answer_term,
                                "granted": True}, 1.0)
    assert raft.role == LEADER and raft.term == term
    raft.take_ready()
    return raft


def ack(raft, src, match=None, conflict=None, now=1.0):
    body = {"type": "raft_append_res", "term": raft.term, "sent": now}
    if conflict is None:
        body.update(success=True, match=match)
    else:
        body.update(success=False, conflict_index=conflict[0], conflict_term=conflict[1])
    raft.receive(src, body, now)


def test_the_leader_resumes_after_its_last_entry_of_the_conflicting_term():
    raft = leader_of(THREE, [1, 1, 2, 2], term=4)         # log terms 1 1 2 2 4
    ack(raft, "n2", conflict=(3, 2))
    assert raft._next["n2"] == 5                          # after our last term-2 entry
    ack(raft, "n3", conflict=(3, 3))                      # a term we never had
    assert raft._next["n3"] == 3
    ack(raft, "n3", conflict=(2, None))                   # a gap
    assert raft._next["n3"] == 2


# -- commit -----------------------------------------------------------------------------

def test_commit_waits_for_a_quorum_of_matches():
    raft = leader_of(FIVE, [], term=1)                    # the no-op at index 1
    raft.propose("a", {"op": "a"}, 1.0)
    ack(raft, "n2", match=2)
    assert raft.commit == 0
    ack(raft, "n3", match=2)
    assert raft.commit == 2
    assert [a.id for a in raft.take_ready().applied] == ["a"]


def test_the_leader_commits_only_entries_of_its_own_term_by_counting():
    raft = leader_of(FIVE, [1, 2], term=3)                # log terms 1 2 3
    ack(raft, "n2", match=2)
    ack(raft, "n3", match=2)
    assert raft.commit == 0                               # index 2 is on 3 of 5, but old
    ack(raft, "n2", match=3)
    ack(raft, "n3", match=3)
    assert raft.commit == 3                               # the term-3 entry commits both


def test_figure_8_an_old_entry_on_a_majority_can_still_be_overwritten():
    """Raft paper figure 8: s1 (term 4) has put index 2 (term 2) on s1, s2, s3; counting
    must not commit it, because s5 (last term 3) can still win and overwrite it."""
    s1 = leader_of(FIVE, [1, 2], term=4)
    ack(s1, "n2", match=2)
    ack(s1, "n3", match=2)
    assert s1.commit == 0
    # s5 holds index 2 from term 3 and is elected in term 5 by s2, s3, s4
    s2, s3 = node("n2", FIVE, 4, [1, 2]), node("n3", FIVE, 4, [1, 2])
    s4 = node("n4", FIVE, 4, [1])
    for voter in (s2, s3, s4):
        assert vote(voter, "n5", term=5, last_index=2, last_term=3, now=5.0)
    append(s2, "n5", term=5, prev_index=1, prev_term=1, entry_terms=[3])
    assert terms(s2) == [1, 3]                            # index 2 was never committed


def test_figure_8_once_a_current_term_entry_is_on_a_majority_both_commit():
    s1 = leader_of(FIVE, [1, 2], term=4)                  # log terms 1 2 4
    ack(s1, "n2", match=3)
    ack(s1, "n3", match=3)
    assert s1.commit == 3
    s2 = node("n2", FIVE, 4, [1, 2, 4])
    assert not vote(s2, "n5", term=5, last_index=2, last_term=3, now=5.0)


def test_a_follower_of_three_commits_what_it_shares_with_the_leader():
    raft = node(term=2, log_terms=[1])
    append(raft, "n2", term=2, prev_index=1, prev_term=1, entry_terms=[2, 2], commit=0)
    assert raft.commit == raft.applied == 3   # the term-2 entries are on the leader and here
    assert raft._applied_ids == {"c1", "x2", "x3"}


def test_a_follower_of_three_waits_for_old_term_entries_and_a_follower_of_five_for_all():
    raft = node(term=2)
    append(raft, "n2", term=2, prev_index=0, prev_term=0, entry_terms=[1], commit=0)
    assert raft.commit == 0                 # a term-1 entry: the leader may not have it on a quorum
    five = node("n1", FIVE, term=2)
    append(five, "n2", term=2, prev_index=0, prev_term=0, entry_terms=[2, 2], commit=1)
    assert five.commit == 1                 # leader + one follower is not a quorum of five


def test_each_command_id_is_applied_once():
    raft = Raft("n1", ["n1"])
    raft.propose("a", {"op": "a"}, 0.0)
    raft.propose("a", {"op": "a"}, 0.0)
    assert terms(raft) == [1, 1, 1]
    assert [a.id for a in raft.take_ready().applied] == ["a"]


# -- clusters ---------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 3, 5])
def test_a_cluster_elects_one_leader_everyone_follows(n):
    cluster = Cluster(n, seed=n)
    leader = cluster.wait_for_leader()
    assert cluster.now < T.election_max + 0.05
    cluster.run_for(0.2)
    assert cluster.leaders() == [leader]
    assert all(r.leader == leader and r.commit == 1 for r in cluster.nodes.values())


def test_a_single_node_serves_at_once():
    cluster = Cluster(1)
    w, r = cluster.write("n0"), cluster.read("n0")
    assert cluster.ops[w].status == "ok" and cluster.ops[r].value == (w,)
    assert cluster.sent == []


def new_leader(cluster, old, timeout=2.0):
    """Run until a node other than `old` leads; return it."""
    end = cluster.now + timeout
    while cluster.now < end:
        found = [i for i in cluster.leaders() if i != old]
        if found:
            return found[0]
        cluster.run_for(0.005)
    raise AssertionError("no new leader")


def settled(n=3, seed=1):
    cluster = Cluster(n, seed=seed)
    cluster.wait_for_leader()
    cluster.run_for(0.5)
    return cluster


@pytest.mark.parametrize("seed", range(5))
def test_a_cut_off_leader_is_replaced_within_one_second(seed):
    cluster = settled(seed=seed)
    old = cluster.leader()
    cluster.isolate(old)
    cut = cluster.now
    new = new_leader(cluster, old)
    assert cluster.now - cut < 1.0
    cluster.run_for(T.election_min)
    assert cluster.nodes[old].role != LEADER              # check-quorum
    w = cluster.write(new)
    cluster.run_for(0.1)
    assert cluster.ops[w].status == "ok"
    cluster.heal()
    cluster.run_for(1.0)
    assert all(r.leader == new for r in cluster.nodes.values())
    cluster.check_all()


def test_a_healed_minority_node_does_not_disrupt_the_leader():
    cluster = settled()
    leader = cluster.leader()
    follower = next(i for i in cluster.ids if i != leader)
    term = cluster.nodes[leader].term
    cluster.isolate(follower)
    for _ in range(20):
        cluster.write(leader)
        cluster.run_for(0.25)
    assert cluster.nodes[follower].term == term           # pre-vote never won: no bump
    cluster.heal()
    cluster.run_for(1.0)
    assert cluster.leader() == leader and cluster.nodes[leader].term == term
    assert not [m for m in cluster.messages("raft_vote", since=cluster.now - 1.0)
                if not m[3]["pre"]]
    cluster.check_all()


def test_one_append_per_follower_per_batch_interval():
    cluster = settled()
    leader = cluster.leader()
    start = cluster.now
    for k in range(200):                                  # 200 writes over 0.1 s
        cluster.at(start + k * 0.0005, cluster.write, leader)
    cluster.run_for(0.5)
    appends = cluster.messages("raft_append", since=start)
    for follower in cluster.ids:
        times = sorted(m[0] for m in appends if m[2] == follower)
        assert all(b - a >= T.batch - 1e-9 for a, b in zip(times, times[1:]))
    burst = [m for m in appends if m[0] <= start + 0.1]
    assert len(burst) <= 2 * (0.1 / T.batch + 1)
    assert len({e[1] for m in appends for e in m[3]["entries"]}) == 200
    assert all(op.status == "ok" for op in cluster.ops.values())


def test_an_idle_cluster_sends_only_heartbeats():
    cluster = settled()
    start = cluster.now
    cluster.run_for(2.0)
    sent = cluster.messages(since=start)
    appends = [m for m in sent if m[3]["type"] == "raft_append"]
    assert {m[3]["type"] for m in sent} <= {"raft_append", "raft_append_res"}
    assert all(not m[3]["entries"] for m in appends)
    assert len(appends) <= 2 * (2.0 / T.heartbeat + 1)
    assert len(sent) - len(appends) < len(appends)       # not every heartbeat is acked


def test_followers_forward_in_batches_and_the_leader_answers():
    cluster = settled()
    leader = cluster.leader()
    follower = next(i for i in cluster.ids if i != leader)
    start = cluster.now
    ops = [cluster.write(follower) for _ in range(5)] + [cluster.read(follower)]
    cluster.run_for(0.2)
    forwards = cluster.messages("raft_forward", since=start)
    assert len(forwards) <= 2                             # the first at once, the rest batched
    assert sum(len(m[3]["commands"]) + len(m[3]["reads"]) for m in forwards) == 6
    assert all(cluster.ops[o].status == "ok" and cluster.ops[o].answered_by == [leader]
               for o in ops)
    assert len(cluster.ops[ops[-1]].value) == 5


def test_without_a_leader_commands_are_rejected_and_never_applied():
    cluster = Cluster(3, seed=2)
    early = cluster.write("n1")                           # before any election
    assert cluster.ops[early].status == "rejected"
    cluster.wait_for_leader()
    cluster.run_for(0.5)
    follower = next(i for i in cluster.ids if i != cluster.leader())
    cluster.isolate(follower)
    cluster.run_for(T.leader_silence + 0.01)
    late = cluster.write(follower)                        # the leader has gone quiet
    assert cluster.ops[late].status == "rejected"
    cluster.heal()
    cluster.run_for(1.0)
    cluster.check_all()


def test_a_logged_command_is_never_rejected():
    cluster = settled()
    leader = cluster.leader()
    cluster.isolate(leader)
    w = cluster.write(leader)                             # logged, cannot commit
    cluster.run_for(3.0)
    assert cluster.ops[w].status is None
    cluster.heal()
    cluster.run_for(1.0)
    assert cluster.ops[w].status is None                  # overwritten: never applied
    assert all(w not in s for s in cluster.states.values())


@pytest.mark.parametrize("replicated", [False, True])
def test_a_forwarded_command_whose_leader_is_cut_off_applies_once_or_never(replicated):
    cluster = settled()
    leader = cluster.leader()
    origin, other = [i for i in cluster.ids if i != leader]
    cluster.blocked.add((leader, origin))           # the forward arrives; nothing returns
    if not replicated:
        cluster.blocked.add((leader, other))
    w = cluster.write(origin)
    cluster.run_for(T.broaden_after * 2)           # long enough to reach `other`, if open
    cluster.isolate(leader)
    new = new_leader(cluster, leader)
    cluster.run_for(0.5)
    cluster.heal()
    cluster.run_for(1.0)
    assert cluster.ops[w].status in (None, "ok")    # never a definite refusal
    applied = [w in s for s in cluster.states.values()]
    assert applied == [replicated] * 3
    assert cluster.ops[w].answered_by == ([leader] if replicated else [])
    assert cluster.leader() == new
    cluster.check_all()


def test_a_leader_with_a_lease_reads_without_messages():
    cluster = settled()
    leader = cluster.leader()
    before = len(cluster.sent)
    r = cluster.read(leader)
    assert cluster.ops[r].status == "ok" and len(cluster.sent) == before


def test_a_read_waits_for_the_writes_before_it():
    cluster = settled()
    leader = cluster.leader()
    w = cluster.write(leader)
    r = cluster.read(leader)
    assert cluster.ops[r].status is None                  # w is logged but not committed
    cluster.run_for(0.05)
    assert cluster.ops[r].value[-1] == w


def test_a_deposed_leader_serves_no_stale_read():
    cluster = settled()
    old = cluster.leader()
    cluster.isolate(old)
    new = new_leader(cluster, old)
    w = cluster.write(new)
    cluster.run_for(0.05)
    assert cluster.ops[w].status == "ok"
    r = cluster.read(old)
    cluster.run_for(1.0)
    assert cluster.ops[r].status == "rejected"
    cluster.check_reads()


def test_a_new_leader_reads_only_once_a_quorum_acknowledged_it():
    cluster = Cluster(3, seed=4)
    leader = cluster.wait_for_leader(step=0.0001)
    r = cluster.read(leader)
    assert cluster.ops[r].status is None
    cluster.run_for(0.05)
    assert cluster.ops[r].status == "ok"


def test_a_read_renews_a_lapsed_lease_with_one_round_of_acks():
    raft = leader_of(THREE, [], term=1)
    raft.tick(1.0)
    sent = raft.take_ready().messages
    for dest, body in sent:
        ack(raft, dest, match=body["prev_index"] + len(body["entries"]), now=1.0)
    raft.receive("n2", {"type": "raft_append_res", "term": 1, "sent": 1.0, "success": True,
                        "match": 1}, 1.3)            # a late ack: quorum alive, lease (1.35) ends
    raft.read({"op": "r"}, 1.36)
    assert not raft.take_ready().reads
    raft.tick(1.36)
    asks = raft.take_ready().messages
    assert {dest for dest, body in asks if body["ack"]} == {"n2", "n3"}
    ack(raft, "n3", match=1, now=1.36)
    assert raft.take_ready().reads == [{"op": "r"}]


# -- flexible quorums ------------------------------------------------------------------------

def test_flexible_quorums_meet_every_election_quorum():
    quorums = {n: (Raft("n0", [f"n{i}" for i in range(n)], flexible=True).election_quorum,
                   Raft("n0", [f"n{i}" for i in range(n)], flexible=True).quorum)
               for n in range(1, 6)}
    assert quorums == {1: (1, 1), 2: (2, 1), 3: (2, 2), 4: (3, 2), 5: (3, 3)}
    assert Raft("n0", ["n0", "n1"]).quorum == 2             # a majority unless asked


def test_a_flexible_pair_elects_with_both_votes_and_then_commits_on_the_leader_alone():
    cluster = Cluster(2, seed=3, flexible=True)
    leader = cluster.wait_for_leader()
    follower = next(i for i in cluster.ids if i != leader)
    cluster.run_for(0.5)
    before = len(cluster.sent)
    w, r = cluster.write(leader), cluster.read(leader)
    assert cluster.ops[w].status == "ok" and cluster.ops[r].value[-1] == w
    assert len(cluster.sent) == before                      # answered with no message
    f = cluster.write(follower)
    cluster.run_for(0.01)
    assert cluster.ops[f].answered_by == [leader]           # one forward, answered by the leader
    cluster.isolate(leader)
    cluster.run_for(2.0)
    assert cluster.leaders() == [leader]                    # the follower cannot win alone
    assert cluster.ops[cluster.write(leader)].status == "ok"
    cluster.heal()
    cluster.run_for(0.5)
    cluster.check_all()


# -- compaction and snapshots ------------------------------------------------------------------

def test_a_compacted_log_keeps_its_indices_and_refuses_what_it_dropped():
    log = Log()
    log += [Entry(1, f"c{i}", None) for i in range(1, 6)]
    assert [e.id for e in log.compact(3)] == ["c1", "c2", "c3"]
    assert (log.start, len(log), log[3], log[4].id, log[-1].id) == (3, 6, Entry(1, None, None),
                                                                     "c4", "c5")
    assert [e.id for e in log[4:]] == ["c4", "c5"]
    del log[5:]
    assert len(log) == 5
    with pytest.raises(IndexError):
        log[2]


def test_an_append_reaching_into_the_compacted_part_is_taken_from_where_the_log_starts():
    raft = node(term=2, log_terms=[1, 1, 2])
    raft.commit = raft.applied = 3
    raft.compact(state=["c1", "c2", "c3"])
    reply = append(raft, "n2", term=2, prev_index=1, prev_term=1, entry_terms=[1, 2, 2])
    assert reply["success"] and reply["match"] == 4
    assert raft.log.start == 3 and [e.term for e in raft.log[4:]] == [2]


def test_a_follower_behind_the_leaders_compaction_gets_the_snapshot_and_catches_up():
    cluster = Cluster(3, seed=2, compact_every=10)
    leader = cluster.wait_for_leader()
    lagging = next(i for i in cluster.ids if i != leader)
    cluster.isolate(lagging)
    writes = [cluster.write(leader) for _ in range(30)]
    cluster.run_for(0.5)
    assert cluster.nodes[leader].log.start > 10             # the lagging node's next is gone
    cluster.heal()
    cluster.run_for(1.0)
    assert cluster.messages("raft_snapshot")
    assert cluster.states[lagging][-30:] == writes
    assert cluster.ops[cluster.write(lagging)].status is None   # forwarded: the log goes on
    cluster.run_for(0.1)
    cluster.check_all()


# -- one-way cuts ---------------------------------------------------------------------------

def test_links_go_direct_until_a_peer_reports_losing_us():
    links = Links("n1", ["n2", "n3"], window=0.3)
    links.note("n3", {"type": "x", "hears": ["n1", "n2"]}, now=1.0)
    assert links.envelope("n2", {"type": "x"}, 1.0) == ("n2", {"type": "x", "hears": ["n3"]})
    links.note("n2", {"type": "x", "hears": ["n3"]}, now=1.0)     # n2 does not hear n1
    hop, body = links.envelope("n2", {"type": "x"}, 1.0)
    assert hop == "n2"                                          # the first is a probe
    hop, body = links.envelope("n2", {"type": "x"}, 1.1)
    assert hop == "n3" and body["type"] == "raft_relay" and body["to"] == "n2"
    assert body["body"] == {"type": "x", "hears": ["n2", "n3"]}
    assert links.envelope("n2", {"type": "raft_forward"}, 1.1)[0] == "n3"
    links.note("n2", {"type": "x", "hears": ["n3"]}, now=1.5)     # still true
    assert links.envelope("n2", {"type": "raft_forward"}, 1.6)[0] == "n3"   # never probes
    assert links.envelope("n2", {"type": "x"}, 1.6)[0] == "n2"    # the next probe
    assert links.envelope("n2", {"type": "x"}, 1.7)[0] == "n3"
    assert links.envelope("n2", {"type": "x"}, 1.8)[0] == "n2"    # the news is stale


def test_a_relay_passes_a_message_on_once_and_the_target_reads_the_origin():
    relay, target = Raft("n3", THREE), Raft("n2", THREE)
    wrapped = {"type": "raft_relay", "to": "n2", "from": "n1", "hears": [],
               "body": {"type": "raft_vote", "pre": True, "term": 1, "last_index": 0,
                        "last_term": 0, "hears": []}}
    relay.receive("n1", wrapped, 1.0)
    [(dest, passed)] = relay.take_ready().messages
    assert dest == "n2" and passed["body"] == wrapped["body"]
    target.receive("n3", passed, 1.0)
    [(dest, answer)] = target.take_ready().messages
    assert answer["type"] == "raft_vote_res" and answer["granted"]
    assert dest in ("n1", "n3")                      # to n1, directly or around


def ring(cluster):
    """Jepsen's majorities-ring on three nodes: messages flow only n0->n1->n2->n0."""
    cluster.heal()
    a, b, c = cluster.ids
    cluster.blocked |= {(b, a), (c, b), (a, c)}


@pytest.mark.parametrize("seed", range(3))
def test_a_one_way_ring_still_elects_and_serves(seed):
    cluster = Cluster(3, seed=seed)
    ring(cluster)
    cluster.wait_for_leader()
    cluster.run_for(1.0)
    ops = [cluster.write(i) for i in cluster.ids] + [cluster.read(i) for i in cluster.ids]
    cluster.run_for(0.2)
    assert all(cluster.ops[o].status == "ok" for o in ops)
    assert cluster.messages("raft_relay")
    cluster.heal()
    cluster.run_for(2.0)
    since = cluster.now
    cluster.run_for(1.0)
    assert not cluster.messages("raft_relay", since=since)     # direct again after healing
    cluster.check_all()


def test_a_leader_keeps_serving_when_a_ring_starts():
    cluster = settled(seed=3)
    ring(cluster)
    cluster.run_for(2.0)
    leader = cluster.wait_for_leader()
    ops = [cluster.write(i) for i in cluster.ids]
    cluster.run_for(0.2)
    assert all(cluster.ops[o].status == "ok" for o in ops)
    cluster.heal()
    cluster.run_for(1.0)
    assert cluster.leader() == leader
    cluster.check_all()


# -- random partitions --------------------------------------------------------------------

def random_run(n, seed, duration=20.0, rate=40, **options):
    cluster = Cluster(n, seed=seed, **options)
    rng = cluster.rng
    t = 0.0
    while t < duration:
        node = rng.choice(cluster.ids)
        cluster.at(t, cluster.write if rng.random() < 0.5 else cluster.read, node)
        t += rng.uniform(0, 2 / rate)
    t = 1.0
    while t < duration:
        cluster.at(t, random_partition, cluster, rng)
        t += rng.uniform(0.2, 3.0)
        cluster.at(t, cluster.heal)
        t += rng.uniform(0.2, 2.0)
    cluster.at(duration, cluster.heal)
    cluster.run_until(duration + 3.0)
    return cluster


def random_partition(cluster, rng):
    """Two random sides, or (one time in three) a random set of one-way cuts."""
    cluster.heal()
    ids = cluster.ids[:]
    rng.shuffle(ids)
    if rng.random() < 1 / 3:
        for a in ids:
            for b in ids:
                if a != b and rng.random() < 0.3:
                    cluster.blocked.add((a, b))
    else:
        k = rng.randint(1, len(ids) // 2)
        cluster.partition(ids[:k], ids[k:])


@pytest.mark.parametrize("n,seed,options", [(3, s, {}) for s in range(8)]
                         + [(5, s, {}) for s in range(4)]
                         + [(3, s, {"compact_every": 20}) for s in range(4)]
                         + [(2, s, {"flexible": True, "compact_every": 20}) for s in range(4)]
                         + [(4, s, {"flexible": True}) for s in range(2)])
def test_random_partitions_keep_state_machines_safe(n, seed, options):
    cluster = random_run(n, seed, **options)
    cluster.check_all()
    cluster.leader()
    ok = [op for op in cluster.ops.values() if op.status == "ok"]
    assert len(ok) > len(cluster.ops) / 4                 # liveness: not all refused
    late = cluster.write(cluster.ids[0])
    cluster.run_for(0.5)
    assert cluster.ops[late].status == "ok"
    cluster.run_for(0.5)
    cluster.check_all()
