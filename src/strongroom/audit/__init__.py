"""One audit record per call; fails closed."""

from strongroom.audit.log import AuditLog, AuditSink

__all__ = ["AuditLog", "AuditSink"]
