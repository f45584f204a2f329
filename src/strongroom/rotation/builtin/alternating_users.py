"""The alternating-users strategy, as AWS's `SecretsManagerRDS*RotationMultiUser`
templates: each rotation sets the password of the user that is not current, so the
current one keeps working while clients move over. The users are `name` and
`name_clone`; the first rotation creates the clone with the original's privileges.

setSecret, as the templates: AWSPENDING must name the other user of the pair on the same
database server; AWSCURRENT must log in (so nobody makes this function act for
credentials that never worked: the confused-deputy check); the master secret that
AWSCURRENT's `masterarn` names is read (its AWSCURRENT version), must name the same
server, and logs in, connecting to AWSCURRENT's `dbname`; as the master, the engine
creates or updates the AWSPENDING user (`Session.set_user_password`).

One difference: the templates return early when AWSPENDING already logs in; this always
sets the user up through the master, for the reason given in `single_user` (a login
proves nothing where passwords are not checked; doing it again is harmless).
"""

from __future__ import annotations

from contextlib import closing

from strongroom.rotation.builtin.database import log_in
from strongroom.rotation.builtin.four_steps import Rotation
from strongroom.rotation.builtin.rds_secret import (
    AWSCURRENT,
    AWSPENDING,
    alternate_username,
    same_database,
)

__all__ = ["ALTERNATING_USERS", "AlternatingUsers"]


class AlternatingUsers:
    """The master user sets up the user that is not current."""

    def pending_username(self, rotation: Rotation, current_username: str) -> str:
        return alternate_username(current_username, rotation.engine.max_username_length)

    def set_secret(self, rotation: Rotation) -> None:
        engine = rotation.engine
        current = rotation.read(AWSCURRENT)
        pending = rotation.read(AWSPENDING, token=rotation.token)
        current_user = str(current["username"])
        if pending["username"] != alternate_username(current_user, engine.max_username_length):
            raise ValueError(
                f"Attempting to modify user {pending['username']} other than current user "
                f"or clone {current_user}"
            )
        if not same_database(current, pending, engine.default_port):
            raise ValueError(
                f"Attempting to modify user for host {pending['host']} other than current "
                f"host {current['host']}"
            )
        with closing(log_in(engine, current, f"{AWSCURRENT} secret")):
            pass
        master_arn = current.get("masterarn")
        if not isinstance(master_arn, str) or not master_arn:
            raise ValueError(f"the AWSCURRENT version of {rotation.arn} names no masterarn")
        master = rotation.read(AWSCURRENT, secret_id=master_arn)
        master["dbname"] = current.get("dbname")
        if not same_database(current, master, engine.default_port):
            raise ValueError(
                f"Current database host {current['host']} is not the same host as master "
                f"{master['host']}"
            )
        with closing(log_in(engine, master, f"master secret {master_arn}")) as session:
            session.set_user_password(current, pending)


ALTERNATING_USERS = AlternatingUsers()
