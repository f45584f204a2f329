"""Built-in rotation function: MySQL and MariaDB, single user (`strongroom-mysql-single-user`).

`lambda_handler(event, context)` runs one of AWS's four rotation steps for the secret the
event names: the user changes its own password (`single_user`, `mysql`).
"""

from __future__ import annotations

from strongroom.rotation.builtin.four_steps import rotation_handler
from strongroom.rotation.builtin.mysql import MYSQL
from strongroom.rotation.builtin.single_user import SINGLE_USER

__all__ = ["lambda_handler"]

lambda_handler = rotation_handler(MYSQL, SINGLE_USER)
