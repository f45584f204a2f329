"""Parameters, their versions and their due policy work, in the barrier.

Layout (inside the `ssm/` view), per account and region `<a>/<r>/`:
- `params/<name>`: the `ParameterRecord`, by canonical name (`/a` and `a` are one
  parameter, as in AWS: a single-level name is kept without its slash); a path's
  parameters are one prefix scan (`params//prod/`), so GetParametersByPath costs what
  lies under the path, not what the account holds;
- `versions/<name>:<version>`: each `VersionRecord` (`:` is not allowed in names, so one
  parameter's versions never share a prefix with another's);
and, across accounts, `due/<ms>/<kind>/<a>/<r>/<name>`: policy work in time order (see
`policies`), so the scheduler reads only what is due.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from strongroom.barrier import CachedView, View
from strongroom.services.due_index import DueIndex
from strongroom.services.ssm.names import canonical_name
from strongroom.services.ssm.records import ParameterRecord, VersionRecord


class ParametersRepository:
    """Parameters by account, region and name; versions by parameter and number."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._parameters = CachedView(view, ParameterRecord.from_bytes, ParameterRecord.to_bytes)
        self._versions = CachedView(view, VersionRecord.from_bytes, VersionRecord.to_bytes)
        self._due = DueIndex(view, "due/")

    def transaction(self) -> AbstractContextManager[object]:
        """One storage transaction that every barrier call in the block joins."""
        return self._view.transaction()

    def forget(self) -> None:
        """Drop every cached record (after a rolled-back write, a wipe or a seal)."""
        self._parameters.forget()
        self._versions.forget()

    # --- parameters ---------------------------------------------------------------

    def parameter(self, account: str, region: str, name: str) -> ParameterRecord | None:
        """The parameter `name` (either form) names (shared, read-only), or None."""
        return self._parameters.get(f"{account}/{region}/params/{canonical_name(name)}")

    def load(self, account: str, region: str, name: str) -> ParameterRecord | None:
        """A private copy read from storage, to change and `save`."""
        return self._parameters.load(f"{account}/{region}/params/{canonical_name(name)}")

    @staticmethod
    def _path(record: ParameterRecord) -> str:
        return f"{record.account}/{record.region}/params/{canonical_name(record.name)}"

    def save(self, record: ParameterRecord) -> None:
        """Store the parameter durably, then let readers see it."""
        self._parameters.save(self._path(record), record)

    def remove(self, record: ParameterRecord) -> None:
        """Delete the parameter and every version of it."""
        for version in record.kept:
            self._versions.remove(self._version_path(record, version))
        self._parameters.remove(self._path(record))

    def under(
        self, account: str, region: str, prefix: str, start_after: str | None = None
    ) -> Iterator[ParameterRecord]:
        """Parameters whose name starts with `prefix`, in name order, after a name."""
        base = f"{account}/{region}/params/"
        after = None if start_after is None else base + start_after
        for _, record in self._parameters.scan(base + prefix, start_after=after):
            yield record

    # --- versions -----------------------------------------------------------------

    @staticmethod
    def _version_path(record: ParameterRecord, version: int) -> str:
        name = canonical_name(record.name)
        return f"{record.account}/{record.region}/versions/{name}:{version:010d}"

    def version(self, record: ParameterRecord, version: int) -> VersionRecord | None:
        """One version (shared, read-only), or None."""
        if version == record.current.version:
            return record.current
        return self._versions.get(self._version_path(record, version))

    def load_version(self, record: ParameterRecord, version: int) -> VersionRecord | None:
        """A private copy of one version, to change and `save_version`."""
        return self._versions.load(self._version_path(record, version))

    def save_version(self, record: ParameterRecord, version: VersionRecord) -> None:
        """Store one version."""
        self._versions.save(self._version_path(record, version.version), version)

    def remove_version(self, record: ParameterRecord, version: int) -> None:
        """Delete one version."""
        self._versions.remove(self._version_path(record, version))

    # --- due policy work ----------------------------------------------------------

    def schedule(self, when: float, kind: str, record: ParameterRecord) -> str:
        """Note work of `kind` on `record` due at `when`; the entry's path."""
        return self._due.put(when, f"{kind}/{record.account}/{record.region}/{record.name}")

    def unschedule(self, path: str) -> None:
        """Forget one due entry."""
        self._due.remove(path)

    def due(self, now: float) -> Iterator[tuple[str, str, str, str, str]]:
        """(entry path, kind, account, region, name) of due work, oldest first; stops at the
        first entry not yet due."""
        for entry in self._due.due(now):
            kind, account, region, name = entry.key.split("/", 3)
            yield entry.path, kind, account, region, name
