"""The grader: sends real HTTP requests to a learner's server and explains each result."""

__version__ = "0.1.0"
