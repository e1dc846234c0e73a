"""The sandbox: a practice API that learners call from the lesson notebooks.

`create_app(settings)` (`app.py`) builds the core (`/`, `/health`, `/admin/reset`,
`/problems/*`) and mounts the features found in `features/`, one folder each, plus any lab that
is switched on. It imports only itself and the shared HTTP kit, `httpkit`.
"""
