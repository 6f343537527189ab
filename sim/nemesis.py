"""The partition nemesis, as Jepsen's combined partition package drives it for Maelstrom.

Start and stop alternate (start first), staggered: the first op at once, then each after a
uniform [0, 2 * interval) delay. Each start picks one of Jepsen's partition specs at random:
  one             one random node against the rest
  minority-third  floor((n - 1) / 3) shuffled nodes against the rest (nothing when that is 0)
  majority        shuffled nodes bisected: floor(n / 2) against the rest
  majorities-ring nodes shuffled into a ring; each node sees a majority centred on itself
                  (up to 5 nodes; beyond that Jepsen's stochastic variant: least-connected
                  nodes are linked at random until every node sees a majority)
A grudge maps a destination to the sources it drops. Only server nodes are cut.
"""

SPECS = ("one", "minority-third", "majority", "majorities-ring")


def complete_grudge(components):
    """Every node drops messages from every node outside its own component."""
    universe = set().union(*map(set, components)) if components else set()
    grudge = {}
    for comp in components:
        others = universe - set(comp)
        for node in comp:
            grudge[node] = sorted(others)
    return grudge


def majorities_ring(nodes, rng):
    if len(nodes) > 5:
        return majorities_ring_stochastic(nodes, rng)
    n = len(nodes)
    m = n // 2 + 1
    ring = list(nodes)
    rng.shuffle(ring)
    universe = set(nodes)
    grudge = {}
    for i in range(n):
        window = [ring[(i + j) % n] for j in range(m)]
        centre = window[m // 2]
        grudge[centre] = sorted(universe - set(window))
    return grudge


def majorities_ring_stochastic(nodes, rng):
    """Link a least-connected node to another least-connected node it does not see yet, until
    every node sees a majority (itself included); then drop everything else."""
    majority = len(nodes) // 2 + 1
    conns = {node: {node} for node in nodes}
    while True:
        order = list(nodes)
        rng.shuffle(order)
        order.sort(key=lambda node: len(conns[node]))       # stable: shuffled within a degree
        a = order[0]
        if len(conns[a]) >= majority:
            universe = set(nodes)
            return {node: sorted(universe - conns[node]) for node in nodes}
        b = next(node for node in order if node not in conns[a])
        conns[a].add(b)
        conns[b].add(a)


def grudge_for(spec, nodes, rng):
    nodes = list(nodes)
    n = len(nodes)
    if spec == "one":
        lone = rng.choice(nodes)
        return complete_grudge([[lone], [x for x in nodes if x != lone]])
    shuffled = nodes[:]
    rng.shuffle(shuffled)
    if spec == "minority-third":
        k = (n - 1) // 3
        return complete_grudge([shuffled[:k], shuffled[k:]])
    if spec == "majority":
        k = n // 2
        return complete_grudge([shuffled[:k], shuffled[k:]])
    if spec == "majorities-ring":
        return majorities_ring(nodes, rng)
    raise ValueError(spec)


def describe(grudge):
    """A short JSON-able description of who is cut off from whom."""
    return {dest: srcs for dest, srcs in sorted(grudge.items()) if srcs}


class PartitionNemesis:
    """Applies partitions to the network and records its ops in the history."""

    def __init__(self, net, nodes, rng, interval, record):
        self.net = net
        self.nodes = list(nodes)
        self.rng = rng
        self.interval = interval
        self.record = record            # (type, f, value) -> None

    def start(self):
        spec = self.rng.choice(SPECS)
        self.record("info", "start-partition", spec, invoke=True)
        grudge = grudge_for(spec, self.nodes, self.rng)
        self.net.partition(grudge)
        self.record("info", "start-partition", ["isolated", describe(grudge)])

    def stop(self):
        self.record("info", "stop-partition", None, invoke=True)
        self.net.heal()
        self.record("info", "stop-partition", "network-healed")

    def next_delay(self):
        return self.rng.uniform(0, 2 * self.interval)
