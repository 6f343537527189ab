"""g-counter: pn-counter (sim.workloads.pn_counter) with negative adds filtered out of the
generator, as Maelstrom's g_counter.clj wraps pn-counter's generator in a filter. Each draw is
the 50/50 mix again, so adds are a third of the ops, deltas 0..4. Client, final reads and
checker (sim.checkers.counter) are pn-counter's, unchanged.
"""

from sim.workloads.pn_counter import PNCounter


class GCounter(PNCounter):
    name = "g-counter"

    def next_op(self, process, now):
        while True:
            op = super().next_op(process, now)
            if op["f"] != "add" or op["value"] >= 0:
                return op


WORKLOAD = GCounter
