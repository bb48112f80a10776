"""``alcore serve``: a production run as a Label Studio ML backend, so annotators never leave the tool.

``app`` holds the HTTP routes, ``predictions`` turns the run's batches into pre-annotations,
``inbox`` keeps every annotation Label Studio sends (durably, before answering), ``worker`` folds
them into the run and runs the next cycle in its own process, ``trainer`` starts and follows that
process from the server, and ``lsclient`` speaks Label Studio's REST API.
"""
