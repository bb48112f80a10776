"""Built-in alcore plugin: mmseg."""
