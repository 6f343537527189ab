"""An Elle-style transactional checker engine, the same for every datatype (facts read from
jepsen-io/elle: txn.clj, graph.clj, consistency_model.clj).

  txn.py       transactions of a paired history, external reads and writes, and the
               anomalies every datatype finds the same way (malformed, lost update)
  graph.py     edge kinds; the version order a datatype infers; ww, wr, rw, process and
               realtime edges built from it, each with what first put it there
  cycles.py    strongly connected components; cycle existence per cycle-exists spec, and
               Elle's typed cycle search per component with Elle's cycle names
  models.py    the consistency-model table: names, implications, what each forbids, verdicts
  analysis.py  from committed transactions and their version order to the checker's result:
               cycles found and explained, every requested model judged

A datatype checker (sim.checkers.rw_register, sim.checkers.list_append) adds only its own
inference: which transactions committed, what the history proves of each key's version order,
and the anomalies found without cycles.
"""
