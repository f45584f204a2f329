"""The operator API: init state, unseal, seal, status, health."""

from strongroom.api.sys.operator import Operator
from strongroom.api.sys.routes import SysRoutes

__all__ = ["Operator", "SysRoutes"]
