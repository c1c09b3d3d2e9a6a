"""One module per CLI verb: what the verb does, with its output for the user."""
