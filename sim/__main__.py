"""Entry point: `python3 -m sim test ARGS`."""
import sys

from sim.cli import main

sys.exit(main())
