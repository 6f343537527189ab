"""Workload registry: Maelstrom workload names -> modules, imported lazily."""

import importlib

WORKLOADS = {
    "echo": "echo",
    "unique-ids": "unique_ids",
    "broadcast": "broadcast",
    "g-counter": "g_counter",
    "g-set": "g_set",
    "pn-counter": "pn_counter",
    "kafka": "kafka",
    "txn-rw-register": "txn_rw_register",
    "txn-list-append": "txn_list_append",
    "lin-kv": "lin_kv",
}


class WorkloadUnavailable(Exception):
    pass


def load(name):
    """The Workload subclass for a Maelstrom workload name."""
    module_name = WORKLOADS.get(name)
    if module_name is None:
        raise WorkloadUnavailable(f"unknown workload {name!r}")
    try:
        module = importlib.import_module(f"sim.workloads.{module_name}")
    except ModuleNotFoundError as e:
        if e.name == f"sim.workloads.{module_name}":
            raise WorkloadUnavailable(f"workload {name!r} is not available yet") from None
        raise
    return module.WORKLOAD
