"""The hub: a small API between learners' laptops and their mentors.

Learners send submissions (grader reports); mentors read them, write feedback and reviews;
learners sync that feedback back. The server is `create_hub_app(settings)` (`app.py`), its data
lives in `HubStore` (`store.py`, the only module with SQL). The rest of apilab talks to it
through `apilab.hubclient.HubClient`, which shares only `protocol.py` with the hub (no FastAPI on
the learner's side). `apilab hub --help` runs and administers one.
"""
