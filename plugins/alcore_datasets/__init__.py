"""Built-in alcore plugin: datasets."""
