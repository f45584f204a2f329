"""Built-in rotation function: MySQL and MariaDB, alternating users
(`strongroom-mysql-alternating-users`).

`lambda_handler(event, context)` runs one of AWS's four rotation steps for the secret the
event names: the master secret (`masterarn`) sets up the user that is not current,
`name` or `name_clone` (`alternating_users`, `mysql`).
"""

from __future__ import annotations

from strongroom.rotation.builtin.alternating_users import ALTERNATING_USERS
from strongroom.rotation.builtin.four_steps import rotation_handler
from strongroom.rotation.builtin.mysql import MYSQL

__all__ = ["lambda_handler"]

lambda_handler = rotation_handler(MYSQL, ALTERNATING_USERS)
