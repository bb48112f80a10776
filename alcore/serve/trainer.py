"""The server's one background lane: retrains (in a worker process) and pushes, one at a time.

``/predict`` never waits for it: predictions are read from the batches on disk, and the server
reloads them when a retrain has written a new one.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from alcore.serve import inbox

log = logging.getLogger("alcore.serve")


class Trainer:
    """Starts ``alcore.serve.worker`` when asked (or every ``every`` new annotations), one at a time."""

    def __init__(self, run_root: Path, every: int, on_done: Callable[[int], None]) -> None:
        self.root = Path(run_root)
        self.every = every
        self.on_done = on_done
        self.lock = threading.Lock()
        self.running = False
        self.again = False
        self.runs = 0
        self.last_rc: int | None = None
        self.lane = threading.Lock()

    def noted(self) -> bool:
        """Start a retrain when ``every`` annotations the run lacks have piled up; whether it did."""
        if self.every <= 0 or inbox.unfolded(self.root) < self.every:
            return False
        return self.start()

    def start(self) -> bool:
        """Start a retrain now, or once the running one ends; True when one starts now."""
        with self.lock:
            if self.running:
                self.again = True
                return False
            self.running = True
        threading.Thread(target=self._loop, name="alcore-retrain", daemon=True).start()
        return True

    def _loop(self) -> None:
        while True:
            with self.lane:
                cmd = [sys.executable, "-m", "alcore.serve.worker", str(self.root)]
                proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                if proc.returncode:
                    log.error("retrain failed: %s", proc.stderr.strip().splitlines()[-1:] or proc.returncode)
                self.runs += 1
                self.last_rc = proc.returncode
                try:
                    self.on_done(proc.returncode)
                except Exception:  # the lane must survive a failed push; it is logged
                    log.exception("after retrain")
            with self.lock:
                if not self.again:
                    self.running = False
                    return
                self.again = False

    def in_lane(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the background, never at the same time as a retrain."""

        def run() -> None:
            with self.lane:
                try:
                    job()
                except Exception:
                    log.exception("background job")

        threading.Thread(target=run, name="alcore-job", daemon=True).start()

    def status(self) -> dict:
        return {"running": self.running, "runs": self.runs, "last_rc": self.last_rc, "every": self.every}
