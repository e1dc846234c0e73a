"""What the apps say, as plain text and Rich text: no Textual here, so the CLI, the terminal app
and the tests share one wording."""
