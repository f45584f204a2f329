"""The operator API: init state, unseal, seal, status, health, rotate, rekey, access keys."""

from strongroom.api.sys.access_keys import AccessKeyRoutes
from strongroom.api.sys.operator import Operator
from strongroom.api.sys.rate_limit import RateLimiter
from strongroom.api.sys.rekey import Rekey
from strongroom.api.sys.routes import SysRoutes

__all__ = ["AccessKeyRoutes", "Operator", "RateLimiter", "Rekey", "SysRoutes"]
