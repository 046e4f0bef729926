"""The system under test: trading workflows, the strategy DSL, market data. Knows nothing of SimPy."""
