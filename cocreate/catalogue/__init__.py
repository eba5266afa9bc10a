"""The product catalogue: every product the platform prints, declared once in `products.py`.

This package module imports nothing, so the mockup drawings the catalogue points at can use its
types (`spec.py`) without an import cycle.
"""
