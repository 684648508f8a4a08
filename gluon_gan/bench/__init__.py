"""Measuring instruments: training throughput and FLOPs, families side by side on a budget, the 2-D
mode-collapse benchmark. Scripts print their numbers; docs/ records them with the machine they ran on."""
