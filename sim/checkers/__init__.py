"""Checkers: pure functions of a paired history (sim.history.History) and plain options,
returning a JSON-able result dict with "valid". No subprocesses, no run state: each is tested
on hand-written histories, and runs the same on a saved or imported history.

  stats        stats, availability, net (every workload) and op latencies
  echo         echo
  unique_ids   unique-ids
  set_full     Jepsen's set-full (broadcast)
  counter      Maelstrom's pn-counter (g-counter: the same with deltas >= 0)
  kafka        jepsen.tests.kafka
  rw_register  Elle's rw-register version inference; the rest is the engine in sim.elle
"""
