"""The scheduler's job for parameter policies: act on every due entry, oldest first.

Each action is one transaction: the effect (deletion, or an event), the removal of its
due entry and its event commit together, so with several workers, or after a crash, an
action is done once (a pass interrupted before its commit is simply done again).
An entry that no longer belongs to the parameter's current version is dropped unused.
"""

from __future__ import annotations

from strongroom.services.ssm import notifications
from strongroom.services.ssm.policies import EXPIRATION
from strongroom.services.ssm.service import ParameterStore

_REASONS = {
    EXPIRATION: "The parameter expired and was deleted.",
    "ExpirationNotification": "The parameter expires soon.",
    "NoChangeNotification": "The parameter has not changed for the time the policy names.",
}


def run_due(ps: ParameterStore) -> int:
    """Act on every policy whose time has come; how many acted."""
    acted = 0
    for path, kind, account, region, name in list(ps.repository.due(ps.clock.now())):
        try:
            with ps.repository.transaction():
                acted += _act(ps, path, kind, account, region, name)
        except BaseException:
            ps.forget_caches()
            raise
    return acted


def _act(ps: ParameterStore, path: str, kind: str, account: str, region: str, name: str) -> int:
    ps.repository.unschedule(path)
    record = ps.repository.load(account, region, name)
    if record is None or path not in record.scheduled:
        return 0
    record.scheduled.remove(path)
    notifications.policy_acted(ps, record, kind, _REASONS.get(kind, ""))
    if kind == EXPIRATION:
        for other in record.scheduled:
            ps.repository.unschedule(other)
        ps.repository.remove(record)
        notifications.changed(ps, record, "Delete")
    else:
        ps.repository.save(record)
    return 1
