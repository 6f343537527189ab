"""Synthetic lin-kv histories shaped like Maelstrom's, for checker tests and benchmarks.

Workers follow Maelstrom's lin-kv generator: groups of 2n workers share a key; in a group, n
workers read and n write (1/3) or cas (2/3) values 0..4; a worker gets a new process id after
an :info, and a key retires once more than 20 (`max_processes`) processes used it (the next key is the largest
so far + 1). Each op takes effect at one instant inside its interval on a true register, so
the history is linearizable unless `stale` > 0 makes some reads return the value before the
latest write. An op times out (:info) with probability `p_info` (`p_info_partitioned` while a
simulated partition is on, every other `partition_s` seconds); ok ops take up to `latency` s; a timed-out write or cas takes
effect with probability 1/2, possibly after the timeout, or never.
"""

import random

TIMEOUT_S = 1.0


def linkv_history(nodes=3, concurrency=12, rate=30.0, time_limit=60.0, p_info=0.01,
                  p_info_partitioned=0.3, partition_s=10.0, latency=0.02, stale=0.0, max_processes=20, seed=0):
    rng = random.Random(seed)
    ops = plan_ops(rng, nodes, concurrency, rate, time_limit, p_info, p_info_partitioned,
                   partition_s, latency, max_processes)
    apply_effects(rng, ops, stale)
    return to_history(ops)


def plan_ops(rng, nodes, concurrency, rate, time_limit, p_info, p_info_partitioned, partition_s,
             latency, max_processes):
    """Timing, key, f and arguments of every op, worker by worker."""
    group_size = 2 * nodes
    groups = max(1, concurrency // group_size)
    keys = list(range(groups))
    used = [set() for _ in range(groups)]
    next_key = groups
    mean_gap = concurrency / rate
    ops = []
    for worker in range(concurrency):
        group, role = divmod(worker, group_size)
        group %= groups
        process, t = worker, rng.uniform(0, mean_gap)
        while t < time_limit:
            if len(used[group] | {process}) > max_processes:
                keys[group], used[group], next_key = next_key, set(), next_key + 1
            used[group].add(process)
            f = "read" if role < nodes else rng.choice(["write", "cas", "cas"])
            arg = [rng.randrange(5), rng.randrange(5)] if f == "cas" else rng.randrange(5)
            partitioned = int(t // partition_s) % 2 == 1
            timed_out = rng.random() < (p_info_partitioned if partitioned else p_info)
            done = t + (TIMEOUT_S if timed_out else rng.uniform(0.001, latency))
            effect = rng.uniform(t, done)
            if timed_out:
                effect = rng.uniform(t, done + 3.0) if f != "read" and rng.random() < 0.5 else None
            ops.append({"process": process, "key": keys[group], "f": f, "arg": arg, "invoke": t,
                        "complete": done, "effect": effect, "timed_out": timed_out})
            if timed_out:
                process += concurrency
            t = done + rng.uniform(0, 2 * mean_gap)
    return ops


def apply_effects(rng, ops, stale):
    """Run the effects in time order on one register per key; set each op's outcome."""
    state, previous = {}, {}
    for op in sorted((o for o in ops if o["effect"] is not None), key=lambda o: o["effect"]):
        k, f, arg = op["key"], op["f"], op["arg"]
        if f == "read":
            if k not in state:
                op["outcome"] = "fail"
            elif stale and k in previous and rng.random() < stale:
                op["outcome"], op["arg"] = "ok", previous[k]
            else:
                op["outcome"], op["arg"] = "ok", state[k]
        elif f == "write":
            previous[k], state[k] = state.get(k), arg
            op["outcome"] = "ok"
        elif state.get(k, object()) == arg[0]:
            previous[k], state[k] = state[k], arg[1]
            op["outcome"] = "ok"
        else:
            op["outcome"] = "fail"
    for op in ops:
        if op["timed_out"]:
            op["outcome"] = "info"


def to_history(ops):
    events = []
    for op in ops:
        k, f = op["key"], op["f"]
        invoke_value = [k, None] if f == "read" else [k, op["arg"]]
        done_value = [k, op["arg"]] if f == "read" and op["outcome"] == "ok" else invoke_value
        events.append((op["invoke"], "invoke", op["process"], f, invoke_value))
        events.append((op["complete"], op["outcome"], op["process"], f, done_value))
    events.sort(key=lambda e: e[0])
    return [{"index": i, "time": int(t * 1e9), "type": kind, "process": p, "f": f, "value": v,
             "final": False} for i, (t, kind, p, f, v) in enumerate(events)]
