"""Compliance checks shipped with the package."""
