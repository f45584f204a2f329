"""Leader-only background jobs: key rotation and deletion windows."""

from strongroom.scheduler.runner import Scheduler

__all__ = ["Scheduler"]
