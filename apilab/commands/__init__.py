"""The `apilab` commands, a module for each part of the course they serve. `apilab.cli` loads a
command's module only when that command runs."""
