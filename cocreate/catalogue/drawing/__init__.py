"""Mockup drawings, one module per product, on shared shapes and fabric helpers (pure Pillow)."""
