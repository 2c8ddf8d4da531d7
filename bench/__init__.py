"""Benchmarks of the running system: ``python -m bench [SCENARIO ...]`` (``make bench``).

Each scenario lives in ``bench/scenarios/<name>.py``, measures its figures
beside a baseline taken in the same run, prints a table and writes
``bench/results/<name>.json``. See bench/README.md.
"""
