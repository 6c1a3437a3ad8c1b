"""DSPy programs shared by the worker and the optimizer, so both run the very same code."""
