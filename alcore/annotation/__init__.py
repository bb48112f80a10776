"""Production annotation: select batches from unlabeled pools, export them to annotation tools, import labels.

``session`` selects (first batch without a model, later ones by the trained model), ``exports``
keeps the record of every batch handed out, ``importer`` validates returned labels against an
open export and commits them to the pool state; ``formats`` maps format names to the modules
that read and write each tool's files (``manifest``, ``pngdir``, ``cvat``, ``labelstudio``).
"""
