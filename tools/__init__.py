"""Maintainer tools that generate parts of the repository (never shipped in the wheel)."""
