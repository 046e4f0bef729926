"""Data files the simulator ships (AWS list prices)."""
