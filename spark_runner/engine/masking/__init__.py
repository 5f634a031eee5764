"""Masking: keyed hashes, tokens with a vault, and authenticated encryption of column values."""
