"""Lambda: warm worker processes (pool.py) that each run one function's handler (worker.py),
for the REST gateway's integrations and the local AppSync's Lambda data sources."""
