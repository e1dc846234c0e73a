"""What the hub and its clients agree on, with no FastAPI in it: the learner's and mentor's apps
import this module, never the hub's server code."""

from __future__ import annotations

PROBLEM_MEDIA_TYPE = "application/problem+json"
