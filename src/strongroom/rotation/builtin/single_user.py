"""The single-user strategy: the user changes its own password, as AWS's
`SecretsManagerRDS*RotationSingleUser` templates do. The old password stops working when
setSecret runs; AWSPENDING names the same user as AWSCURRENT.

setSecret, as the templates: AWSPENDING must name the same user and database server as
AWSCURRENT; log in with AWSPENDING, else AWSCURRENT, else AWSPREVIOUS (with AWSCURRENT's
`ssl` setting, and only if it names the same user and server); then, in that session,
set the user's password to AWSPENDING's.

One difference: where the templates stop as soon as AWSPENDING logs in, this sets the
password all the same. A login proves nothing where the database does not check
passwords (a `trust` line in pg_hba.conf lets any password in), and setting the same
password again is harmless: after setSecret the database holds AWSPENDING's password,
whatever its authentication rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing
from typing import Any

from strongroom.rotation.builtin.database import first_login
from strongroom.rotation.builtin.four_steps import Rotation
from strongroom.rotation.builtin.rds_secret import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    same_database,
)

__all__ = ["SINGLE_USER", "SingleUser"]


def _same_account(a: Mapping[str, Any], b: Mapping[str, Any], rotation: Rotation) -> bool:
    return a["username"] == b["username"] and same_database(a, b, rotation.engine.default_port)


class SingleUser:
    """The user rotates its own password."""

    def pending_username(self, rotation: Rotation, current_username: str) -> str:
        return current_username

    def set_secret(self, rotation: Rotation) -> None:
        current = rotation.read(AWSCURRENT)
        pending = rotation.read(AWSPENDING, token=rotation.token)
        if not _same_account(current, pending, rotation):
            raise ValueError(
                f"Attempting to modify user {pending['username']} at {pending['host']} other "
                f"than current user {current['username']} at {current['host']}"
            )
        previous = rotation.read_if_any(AWSPREVIOUS)
        if previous is not None:
            previous.pop("ssl", None)
            if "ssl" in current:
                previous["ssl"] = current["ssl"]
            if not _same_account(previous, pending, rotation):
                previous = None
        _, session = first_login(
            rotation.engine,
            [
                (f"{AWSPENDING} secret", pending),
                (f"{AWSCURRENT} secret", current),
                (f"{AWSPREVIOUS} secret", previous),
            ],
        )
        with closing(session):
            session.set_own_password(str(pending["username"]), str(pending["password"]))


SINGLE_USER = SingleUser()
