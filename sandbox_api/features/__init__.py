"""The sandbox's features: one folder per lesson, found without a list to edit.

How to add one (say lesson 2's `identity`):

1. Create `sandbox_api/features/identity/` with an `__init__.py` that exports
   `FEATURE = Feature(name="identity", summary=..., routers=[...], tags=[...], schema=...,
   seed=..., links={...})` (`sandbox_api.feature.Feature` says what each field means). The
   folder's name is the feature's name; that is all the registration there is.
2. Serve new behaviour under paths of your own (`/oauth/...`, `/me/...`) or a version prefix of
   your own (`/v2/...`): a later lesson never changes what an earlier lesson's routes answer, so
   its notebook and exercise keep passing. Name your tables after the feature
   (`identity_users`), create them in `schema`, and fill them in `seed(connection, seed)` from
   the seed alone: `POST /admin/reset` drops every table and re-runs every feature's schema and
   seed in one transaction. State that is not a table (signing keys) goes in `setup`.
3. Build routes with the shared kit: raise `httpkit.problems.ProblemException` for errors,
   document them with `httpkit.openapi.problem_responses`, page lists with
   `sandbox_api.listing`, and answer preconditions with `httpkit.conditional.evaluate`. A
   problem type of your own goes in `problem_types`, and documents itself at /problems/<slug>.
4. A feature that is vulnerable on purpose (the security lesson's) sets `lab=True`: it is off
   unless started with `apilab sandbox --lab NAME`, refuses to start on a non-loopback host,
   and every answer and /docs say it is vulnerable on purpose.
5. Its tests go in `tests/test_sandbox_<name>.py`; the schemathesis run in
   `tests/test_openapi_truth.py` picks the new routes up by itself, and fails until the
   document and the behaviour agree.
"""
