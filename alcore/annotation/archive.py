"""The files of an annotation tool's export (a folder or a zip), read within limits.

A zip member's declared size and compression ratio are checked before a byte of it is inflated
(:func:`alcore.sdk.limits.check_member`), and reading never goes past the size checked, so a tiny
hostile archive cannot cost gigabytes. Small text members (a label map) are read with a cap.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from alcore.sdk.errors import DataError
from alcore.sdk.limits import check_member, max_text_bytes


class Export:
    """Relative POSIX paths of an export's files, and a bounded reader of their bytes."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_dir():
            self.names = [p.relative_to(self.path).as_posix() for p in sorted(self.path.rglob("*"))
                          if p.is_file()]
        elif zipfile.is_zipfile(self.path):
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise DataError(f"{self.path}: not a readable zip archive ({exc})") from None
            self.names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        else:
            raise DataError(f"{self.path} is neither a folder nor a zip archive of {what}")

    def where(self, name: str) -> str:
        """How an error names one member: ``EXPORT:MEMBER``."""
        return f"{self.path}:{name}"

    def read(self, name: str, cap: int | None = None) -> bytes:
        """The bytes of member ``name``, refused before reading when over ``cap`` or the member limits."""
        if self._zip is None:
            file = self.path / name
            size = file.stat().st_size
            if cap is not None and size > cap:
                raise DataError(f"{self.where(name)} is {size} bytes, over the {cap}-byte limit "
                                "for this file (ALCORE_MAX_TEXT_KB)")
            with open(file, "rb") as fh:
                return fh.read(cap + 1 if cap is not None else -1)
        info = self._zip.getinfo(name)
        check_member(name, info.file_size, self.path, info.compress_size)
        if cap is not None and info.file_size > cap:
            raise DataError(f"{self.where(name)} inflates to {info.file_size} bytes, over the "
                            f"{cap}-byte limit for this file (ALCORE_MAX_TEXT_KB)")
        try:
            with self._zip.open(info) as fh:  # never inflates past the size checked above
                return fh.read(info.file_size)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise DataError(f"{self.where(name)}: damaged zip member ({exc})") from None

    def text(self, name: str) -> str:
        """A small text member (``labelmap.txt``), read with the text cap, as UTF-8."""
        try:
            return self.read(name, max_text_bytes()).decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{self.where(name)} is not UTF-8 text") from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
