"""Entry point: `python3 -m sim test ARGS`, `python3 -m sim serve [--port P] [--store DIR]`
(sim.cli) and `python3 -m sim check RUN_DIR | FILE.edn -w WORKLOAD ...` (sim.recheck)."""
import sys

if sys.argv[1:2] == ["check"]:
    from sim.recheck import main
    sys.exit(main(sys.argv[2:]))

from sim.cli import main  # noqa: E402

sys.exit(main())
