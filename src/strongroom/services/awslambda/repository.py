"""Functions, their code packages and their resource policies, in the barrier.

Layout (inside the `lambda/` view), per account and region `<a>/<r>/`:
- `functions/<name>`: the `FunctionRecord` (name order is path order, so ListFunctions
  pages are bounded scans after a marker);
- `code/<name>/<code id>`: the function's zip, as uploaded (a record of its own, read only
  to invoke; a new upload is written under a new id and the old one deleted in the same
  transaction, so a configuration always names code that exists once committed);
- `policies/<name>`: the `PolicyRecord` (built-in functions have one too, once given a
  permission, though they have no stored configuration).

Configurations and policies are `CachedView`s (see `strongroom.barrier.cached_view`);
code is read from storage on each invocation and never cached (up to 50 MB each).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from strongroom.barrier import CachedView, View
from strongroom.services.awslambda.records import FunctionRecord, PolicyRecord


class FunctionsRepository:
    """Functions by account, region and name."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._functions = CachedView(view, FunctionRecord.from_bytes, FunctionRecord.to_bytes)
        self._policies = CachedView(view, PolicyRecord.from_bytes, PolicyRecord.to_bytes)

    def transaction(self) -> AbstractContextManager[object]:
        """One storage transaction that every barrier call in the block joins."""
        return self._view.transaction()

    def forget(self) -> None:
        """Drop every cached record (after a rolled-back write, a wipe or a seal)."""
        self._functions.forget()
        self._policies.forget()

    # --- configurations -------------------------------------------------------------

    def function(self, account: str, region: str, name: str) -> FunctionRecord | None:
        """The function (shared, read-only), or None."""
        return self._functions.get(f"{account}/{region}/functions/{name}")

    def load(self, account: str, region: str, name: str) -> FunctionRecord | None:
        """A private copy read from storage, to change and `save`."""
        return self._functions.load(f"{account}/{region}/functions/{name}")

    def save(self, record: FunctionRecord) -> None:
        """Store the configuration."""
        self._functions.save(f"{record.account}/{record.region}/functions/{record.name}", record)

    def listed(self, account: str, region: str, after: str | None) -> Iterator[FunctionRecord]:
        """Every function of an account and region, in name order, after a name."""
        prefix = f"{account}/{region}/functions/"
        start = None if after is None else prefix + after
        for _, record in self._functions.scan(prefix, start_after=start):
            yield record

    def remove(self, record: FunctionRecord) -> None:
        """Delete the function: its configuration, its code and its policy."""
        self.remove_code(record)
        self._policies.remove(f"{record.account}/{record.region}/policies/{record.name}")
        self._functions.remove(f"{record.account}/{record.region}/functions/{record.name}")

    # --- code -----------------------------------------------------------------------

    @staticmethod
    def _code_path(record: FunctionRecord) -> str:
        return f"{record.account}/{record.region}/code/{record.name}/{record.code_id}"

    def code(self, record: FunctionRecord) -> bytes | None:
        """The zip `record` names, from storage (None if another process replaced it)."""
        return self._view.get(self._code_path(record))

    def save_code(self, record: FunctionRecord, package: bytes) -> None:
        """Store the zip under `record.code_id`."""
        self._view.put(self._code_path(record), package)

    def remove_code(self, record: FunctionRecord) -> None:
        """Delete the zip `record` names."""
        if record.code_id:
            self._view.delete(self._code_path(record))

    # --- resource policies ------------------------------------------------------------

    def policy(self, account: str, region: str, name: str) -> PolicyRecord | None:
        """The function's resource policy (shared, read-only), or None."""
        return self._policies.get(f"{account}/{region}/policies/{name}")

    def load_policy(self, account: str, region: str, name: str) -> PolicyRecord | None:
        """A private copy of the policy read from storage, to change and save."""
        return self._policies.load(f"{account}/{region}/policies/{name}")

    def save_policy(self, account: str, region: str, name: str, policy: PolicyRecord) -> None:
        """Store the policy (kept when its last statement goes: it holds the revision)."""
        self._policies.save(f"{account}/{region}/policies/{name}", policy)
