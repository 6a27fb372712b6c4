"""Errors of the file readers: each names the file, the row or feature, and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ImportFileError(Exception):
    """A file cannot be read or one of its records is unusable.

    ``where`` is ``"feature 12"`` (0-based index in the file's feature list) or ``"row 7"`` (line
    number in a CSV file, the header being line 1); ``field`` names the column.
    """

    def __init__(
        self, path: Path | str, reason: str, *, where: str | None = None, field: str | None = None
    ) -> None:
        self.path = Path(path)
        self.reason = reason
        self.where = where
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [str(self.path)]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(f"field {self.field!r}")
        return ": ".join([", ".join(parts), self.reason])


class ImportRejected(ImportFileError):
    """Rows failed the checks and the import was not told to skip them: nothing was written.

    The message names the first reject; ``rejected`` counts the rejected rows, ``sample`` holds
    the first few (registry ``Reject`` records) and ``report`` the CSV report, when one was
    written.
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        *,
        where: str | None = None,
        field: str | None = None,
        rejected: int = 1,
        sample: tuple[Any, ...] = (),
        report: Path | None = None,
    ) -> None:
        self.rejected = rejected
        self.sample = sample
        self.report = report
        super().__init__(path, reason, where=where, field=field)

    def __str__(self) -> str:
        more = f" (and {self.rejected - 1} more rejected rows)" if self.rejected > 1 else ""
        report = f"; rejects listed in {self.report}" if self.report else ""
        return f"{super().__str__()}{more}; nothing was imported{report}"
