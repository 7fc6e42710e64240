"""The demo's sections, one module per domain (`make demo` runs them from devtools/demo.py)."""
