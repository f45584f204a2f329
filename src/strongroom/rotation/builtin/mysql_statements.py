"""The SQL the MySQL/MariaDB rotation sends, by server flavour and version. Pure: no I/O.

Every statement is a PyMySQL template: accounts and values are `%s` parameters the driver
escapes as string literals (MySQL accepts an account name as `'user'@'host'`), and any
`%` in text that comes from the server is doubled so the driver leaves it alone.

Password forms:
- MariaDB (every version): `SET PASSWORD [FOR acct] = PASSWORD(%s)` (a bare literal would
  be taken as an already-hashed password).
- MySQL 5.7.6 and later (8.x, 9.x): `SET PASSWORD [FOR acct] = %s`, the cleartext form
  (`PASSWORD()` is gone from 8.0). Older MySQL: `PASSWORD(%s)`.
AWS's template picks by "does the version start with 8", which breaks on MySQL 9; this
picks by flavour and version.

Grants are copied as AWS's template copies them: each `SHOW GRANTS` line for the
original account, given to the clone instead. Unlike the template, the grantee is found
exactly (not by the first " TO "), `WITH GRANT OPTION` / `WITH ADMIN OPTION` are kept,
MariaDB's `SET DEFAULT ROLE` lines are copied too, and a line of any other kind is refused
rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MySqlDialect", "clone_grant", "require_tls"]

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
_KEPT_OPTIONS = (" WITH GRANT OPTION", " WITH ADMIN OPTION")


@dataclass(frozen=True)
class MySqlDialect:
    """A server's flavour and version, as `SELECT VERSION()` tells them."""

    mariadb: bool
    version: tuple[int, int, int]

    @classmethod
    def from_version(cls, text: str) -> MySqlDialect:
        """From `SELECT VERSION()` ("8.0.36", "10.11.6-MariaDB-0+deb12u1", ...)."""
        match = _VERSION.search(text)
        if match is None:
            raise ValueError(f"unrecognised server version {text!r}")
        major, minor, patch = (int(part or 0) for part in match.groups())
        return cls("mariadb" in text.lower(), (major, minor, patch))

    @property
    def _cleartext_password(self) -> bool:
        return not self.mariadb and self.version >= (5, 7, 6)

    def _password_value(self) -> str:
        return "%s" if self._cleartext_password else "PASSWORD(%s)"

    def set_own_password(self) -> str:
        """Change the logged-in account's password; one parameter: the password."""
        return "SET PASSWORD = " + self._password_value()

    def set_password_for(self) -> str:
        """Change an account's password; parameters: user, host, password."""
        return "SET PASSWORD FOR %s@%s = " + self._password_value()

    def require_prefix(self) -> str:
        """The start of a statement setting an account's TLS requirement (user, host)."""
        alter_user = self.version >= ((10, 2, 0) if self.mariadb else (5, 7, 0))
        return "ALTER USER %s@%s REQUIRE" if alter_user else "GRANT USAGE ON *.* TO %s@%s REQUIRE"


def _accounts(user: str, host: str) -> tuple[str, ...]:
    """How SHOW GRANTS may write `user`@`host`: backticks (MariaDB, MySQL 8) or quotes
    (MySQL 5.7)."""

    def backticked(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def quoted(name: str) -> str:
        return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return (f"{backticked(user)}@{backticked(host)}", f"{quoted(user)}@{quoted(host)}")


def clone_grant(line: str, user: str, host: str) -> str:
    """The statement giving the clone (parameters: user, host) what `line`, a SHOW GRANTS
    line for `user`@`host`, gives that account; ValueError for a line it cannot copy."""
    if line.startswith("GRANT "):
        keyword = " TO "
    elif line.startswith("SET DEFAULT ROLE "):
        keyword = " FOR "
    else:
        raise ValueError(f"cannot copy a SHOW GRANTS line starting {line[:24]!r}")
    for account in _accounts(user, host):
        head, found, tail = line.partition(keyword + account)
        if found:
            options = "".join(option for option in _KEPT_OPTIONS if option in tail)
            return head.replace("%", "%%") + keyword + "%s@%s" + options
    raise ValueError(f"a SHOW GRANTS line for {user!r}@{host!r} names another account")


def require_tls(
    dialect: MySqlDialect, ssl_type: str, cipher: str, issuer: str, subject: str
) -> tuple[str, tuple[str, ...]]:
    """(statement, values after user and host) giving an account the TLS requirement
    `mysql.user` records for another (ssl_type '', ANY, X509 or SPECIFIED)."""
    prefix = dialect.require_prefix()
    if not ssl_type:
        return prefix + " NONE", ()
    if ssl_type == "ANY":
        return prefix + " SSL", ()
    if ssl_type == "X509":
        return prefix + " X509", ()
    named = [
        (word, value)
        for word, value in (("CIPHER", cipher), ("ISSUER", issuer), ("SUBJECT", subject))
        if value
    ]
    if not named:
        return prefix + " SSL", ()
    clause = " AND ".join(f"{word} %s" for word, _ in named)
    return f"{prefix} {clause}", tuple(value for _, value in named)
