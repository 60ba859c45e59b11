"""fieldapp core: the encrypted evidence vault, the assessment framework, search and coverage.

Pure Python: nothing here imports Qt or an HTTP library (see tests/test_layering.py).
"""
