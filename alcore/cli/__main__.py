"""``python -m alcore.cli``: the same command line as the ``alcore`` script."""

from alcore.cli import main

main()
