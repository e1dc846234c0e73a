"""`python -m apilab.jupyter_app lab|notebook ARGS...`: Jupyter's server, as `jupyter lab` (or
`jupyter notebook`) starts it, in a process of apilab's.

`jupyter lab` runs the `jupyter-lab` script, which imports jupyterlab and calls its `main`; so
does this, after `import apilab` has deferred rfc3987_syntax (apilab.iri_grammar). Jupyter's
event schemas import jsonschema, and that grammar was two of the five seconds a Jupyter server
took to start.
"""

from __future__ import annotations

import sys

import apilab  # noqa: F401  (defers the IRI grammar before Jupyter imports jsonschema)


def main() -> None:
    flavour, *arguments = sys.argv[1:]
    if flavour == "lab":
        from jupyterlab.labapp import main as serve
    elif flavour == "notebook":
        from notebook.app import main as serve
    else:
        sys.exit(f"apilab.jupyter_app: expected lab or notebook, not {flavour!r}")
    sys.argv = [f"jupyter-{flavour}", *arguments]
    sys.exit(serve())


if __name__ == "__main__":
    main()
