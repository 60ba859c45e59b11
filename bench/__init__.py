"""Benchmarks: `python -m bench vault --records 10000` prints one JSON object of measurements."""
