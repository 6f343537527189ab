"""The run report: store/<run>/report.html, one self-contained file to look at a run.

Pure functions of (results dict, history list, journal export or None): no run state, so the
same code draws a run just finished and, later, a saved one (without its journal, a saved run
has no message diagram). Modules:
  ops        pairs the history's ops, finds the partition intervals and the time span
  svg        escaping, scales, ticks, chart frames, markers, Jepsen's and Maelstrom's colours
  timeplots  latency, throughput and network traffic on one shared time axis
  diagram    the message (Lamport) diagram of a window, on a real time axis
  panels     workload panels chosen by what the checker result holds
  page       the tables, the errors linked to their ops, the page and its CSS; write()
"""
