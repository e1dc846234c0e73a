"""Sandbox features: one package per lesson's part of the practice API."""
