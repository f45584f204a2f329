"""One audit record per call; fails closed."""

from strongroom.audit.log import AuditLog, AuditSink, DiscardSink

__all__ = ["AuditLog", "AuditSink", "DiscardSink"]
