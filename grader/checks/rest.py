"""Registered checks for REST and HTTP semantics (lesson 1)."""

from __future__ import annotations
