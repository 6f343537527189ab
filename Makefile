# Gossip Glomers in Python.
#
#   make sim            every challenge on the bundled simulator, then a results table
#   make sim QUICK=1    the same with short time limits, for a fast look
#   make test           the test suite (installs pytest into .venv on first use)
#   make serve          browse the runs in store/ at http://127.0.0.1:8080/ (ARGS="--port 9000")
#   make screenshot     a short run, then docs/report.png of its report (headless Chromium)
#   make c3d            one challenge with Fly.io's exact flags: real Maelstrom when
#                       `$(MAELSTROM)` is on PATH, else the bundled simulator
#   make c3d ARGS="--time-limit 5 --seed 7"   extra flags (the last occurrence wins)
#   make lin-kv         lin_kv.py (Raft) with the Raft tutorial's final flags, the same way
#   make g-set, make pn-counter   Maelstrom's CRDT workloads (not Fly.io challenges), the same way
#   make txn-list-append   strictly serializable transactions (Maelstrom's tutorial workload)

MAELSTROM ?= maelstrom
PYTHON ?= python3
VENV ?= .venv
ARGS ?=

HAVE_MAELSTROM := $(shell command -v $(MAELSTROM) >/dev/null 2>&1 && echo yes)
ifeq ($(HAVE_MAELSTROM),yes)
RUN = $(MAELSTROM) test
else
RUN = @echo "($(MAELSTROM) not found: using the bundled simulator, $(PYTHON) -m sim)" >&2; $(PYTHON) -m sim test
endif

CHALLENGES := c1 c2 c3a c3b c3c c3d c3e c4 c5a c5b c5c c6a c6b c6c
CRDTS := g-set pn-counter

.PHONY: all test sim serve screenshot calibrate bench-runtime bench-sim bench-broadcast bench-gcounter \
        bench-kafka bench-txn bench-raft bench-linearizable bench-linkv bench-check bench-crdt \
        bench-list-append $(CHALLENGES) $(CRDTS) c6b-ru c6b-partition lin-kv txn-list-append \
        1 2 3a 3b 3c 3d 3e 4 5a 5b 5c 6a 6b 6c

all: test

# --- The challenges, with Fly.io's flags -------------------------------------------------

c1:
	$(RUN) -w echo --bin ./echo.py --node-count 1 --time-limit 10 $(ARGS)
c2:
	$(RUN) -w unique-ids --bin ./unique_ids.py --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition $(ARGS)
c3a:
	$(RUN) -w broadcast --bin ./broadcast.py --node-count 1 --time-limit 20 --rate 10 $(ARGS)
c3b:
	$(RUN) -w broadcast --bin ./broadcast.py --node-count 5 --time-limit 20 --rate 10 $(ARGS)
c3c:
	$(RUN) -w broadcast --bin ./broadcast.py --node-count 5 --time-limit 20 --rate 10 --nemesis partition $(ARGS)
c3d:
	$(RUN) -w broadcast --bin ./broadcast.py --node-count 25 --time-limit 20 --rate 100 --latency 100 $(ARGS)
c3e:
	$(RUN) -w broadcast --bin ./broadcast.py --node-count 25 --time-limit 20 --rate 100 --latency 100 $(ARGS)
c4:
	$(RUN) -w g-counter --bin ./g_counter.py --node-count 3 --rate 100 --time-limit 20 --nemesis partition $(ARGS)
c5a:
	$(RUN) -w kafka --bin ./kafka_log.py --node-count 1 --concurrency 2n --time-limit 20 --rate 1000 $(ARGS)
c5b:
	$(RUN) -w kafka --bin ./kafka_log.py --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 $(ARGS)
c5c:
	$(RUN) -w kafka --bin ./kafka_log.py --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 $(ARGS)
c6a:
	$(RUN) -w txn-rw-register --bin ./txn_rw_register.py --node-count 1 --time-limit 20 --rate 1000 --concurrency 2n --consistency-models read-uncommitted --availability total $(ARGS)
c6b: c6b-ru c6b-partition
c6b-ru:
	$(RUN) -w txn-rw-register --bin ./txn_rw_register.py --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted $(ARGS)
c6b-partition:
	$(RUN) -w txn-rw-register --bin ./txn_rw_register.py --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted --availability total --nemesis partition $(ARGS)
c6c:
	$(RUN) -w txn-rw-register --bin ./txn_rw_register.py --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total --nemesis partition $(ARGS)

# --- Beyond Fly.io's challenges: Maelstrom's other workloads, with each tutorial's flags ---------

# lin-kv: the Raft tutorial's final command.
lin-kv:
	$(RUN) -w lin-kv --bin ./lin_kv.py --node-count 3 --concurrency 4n --rate 30 --time-limit 60 --nemesis partition --nemesis-interval 10 $(ARGS)
# The CRDTs: the tutorial's partition runs.
g-set:
	$(RUN) -w g-set --bin ./g_set.py --node-count 5 --time-limit 30 --rate 10 --nemesis partition $(ARGS)
pn-counter:
	$(RUN) -w pn-counter --bin ./pn_counter.py --node-count 3 --time-limit 30 --rate 100 --nemesis partition $(ARGS)
# txn-list-append (the Datomic tutorial's workload), strict-serializable.
txn-list-append:
	$(RUN) -w txn-list-append --bin ./txn_list_append.py --node-count 2 --time-limit 30 --rate 100 $(ARGS)

# Unprefixed aliases: `make 3d` is `make c3d`.
1 2 3a 3b 3c 3d 3e 4 5a 5b 5c 6a 6b 6c:
	@$(MAKE) --no-print-directory c$@ ARGS='$(ARGS)'

# --- The main job and the tests -----------------------------------------------------------

sim:
	$(PYTHON) -m sim.suite $(if $(QUICK),--quick)

calibrate:
	$(PYTHON) -m sim.calibrate

# --- Looking at runs ------------------------------------------------------------------------

serve:
	$(PYTHON) -m sim serve $(ARGS)

SHOT_STORE := store/screenshot
screenshot:
	$(PYTHON) -m sim test -w broadcast --bin ./broadcast.py --node-count 5 --time-limit 10 \
		--rate 20 --latency 50 --nemesis partition --nemesis-interval 2 --recovery-wait 2 \
		--seed 3 --no-progress --store $(SHOT_STORE) > /dev/null
	$(PYTHON) tests/browser.py $(SHOT_STORE)/latest/report.html docs/report.png 1200 2900

$(VENV)/bin/pytest: requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $@

test: $(VENV)/bin/pytest
	$(VENV)/bin/python -m pytest -q tests

# --- Benchmarks: scripts that print figures ------------------------------------------------

bench-runtime:
	$(PYTHON) bench/bench_runtime.py
bench-sim:
	$(PYTHON) bench/bench_sim.py
bench-broadcast:
	$(PYTHON) bench/bench_broadcast.py $(ARGS)
bench-gcounter:
	$(PYTHON) bench/bench_gcounter.py $(ARGS)
bench-kafka:
	$(PYTHON) bench/bench_kafka.py $(ARGS)
bench-txn:
	$(PYTHON) bench/bench_txn.py $(ARGS)
bench-raft:
	$(PYTHON) bench/bench_raft.py $(ARGS)
bench-linearizable:
	$(PYTHON) bench/bench_linearizable.py $(ARGS)
bench-linkv:
	$(PYTHON) bench/bench_linkv.py $(ARGS)
bench-check:
	$(PYTHON) bench/bench_check.py $(ARGS)
bench-crdt:
	$(PYTHON) bench/bench_crdt.py $(ARGS)
bench-list-append:
	$(PYTHON) bench/bench_list_append.py $(ARGS)
