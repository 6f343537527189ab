"""Entry point: `python3 -m sim test ARGS` and `python3 -m sim serve [--port P] [--store DIR]`."""
import sys

from sim.cli import main

sys.exit(main())
