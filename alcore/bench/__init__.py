"""The study as a command: benchmark grids (``alcore bench``) and recommendations (``alcore advise``)."""
