"""A Maelstrom-compatible simulator: `python3 -m sim test -w WORKLOAD --bin NODE ...`."""
