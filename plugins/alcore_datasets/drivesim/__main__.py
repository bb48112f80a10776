"""``python -m alcore_datasets.drivesim PRESET [ROOT]``."""

from alcore_datasets.drivesim import main

raise SystemExit(main())
