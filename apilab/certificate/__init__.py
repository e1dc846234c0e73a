"""Certificates of completion: what they say (derived from the course and the learner's
record), how they are signed and verified (Ed25519), and how they read (terminal text, HTML)."""
