"""The audit log: where call records would go; no sink is wired yet (see `log`)."""

from strongroom.audit.log import AuditLog, AuditSink

__all__ = ["AuditLog", "AuditSink"]
