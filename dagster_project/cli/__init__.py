"""The `leitstand` command: run, query, status, serve (`main.py`), one module per command."""
