"""Built-in alcore plugin: acquisition."""
