"""Built-in alcore plugin: ssl."""
