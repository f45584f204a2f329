"""Built-in rotation function: PostgreSQL, alternating users
(`strongroom-postgresql-alternating-users`).

`lambda_handler(event, context)` runs one of AWS's four rotation steps for the secret the
event names: the master secret (`masterarn`) sets up the user that is not current,
`name` or `name_clone` (`alternating_users`, `postgresql`).
"""

from __future__ import annotations

from strongroom.rotation.builtin.alternating_users import ALTERNATING_USERS
from strongroom.rotation.builtin.four_steps import rotation_handler
from strongroom.rotation.builtin.postgresql import POSTGRESQL

__all__ = ["lambda_handler"]

lambda_handler = rotation_handler(POSTGRESQL, ALTERNATING_USERS)
