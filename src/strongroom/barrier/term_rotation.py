"""`operator rotate`: a new barrier key term, every record re-encrypted to it, old terms gone.

`rotate` adds the term (new writes use it at once) and records the work in the core
value `term-rotation`; a background thread then re-encrypts the records still under older
terms, a batch per transaction, in path order, saving its place after every batch. When
a pass finds nothing left, the old terms are deleted from the keyring and the storage is
scrubbed, so that no file keeps them.

Invariants:
- Online and resumable: requests go on meanwhile (a batch holds the write lock only for
  its own records); a restart, an unseal or the scheduler's next tick (`resume`) picks up
  from the saved place. Re-encrypting is idempotent, so two processes doing it at once
  only waste work.
- An old term is deleted only by `Barrier.retire_old_terms`, after it has read every
  record's header and found none under an old term; with several processes the check
  waits `grace_seconds` after the rotation, so that every process has adopted the new
  keyring and no request begun before it is still writing.
- The progress record holds counts, a time and a storage path (never a secret). A forged
  one can make the work start again or skip records in a pass, which the final check
  catches; with several processes a forged start time can shorten the grace period.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from strongroom.barrier.barrier import Barrier
from strongroom.errors import StrongroomError

__all__ = ["PROGRESS", "TermRotation"]

log = logging.getLogger("strongroom.barrier")

_PAUSED = "paused after an error (see the server log); it resumes on the next scheduler tick"

PROGRESS = "term-rotation"
"""Core value (plaintext JSON) naming the rotation under way and how far it has come."""


class TermRotation:
    """Starts, resumes and reports barrier key-term rotations."""

    def __init__(
        self,
        barrier: Barrier,
        now: Callable[[], float],
        *,
        grace_seconds: float = 0.0,
        batch: int = 256,
    ) -> None:
        self._barrier = barrier
        self._now = now
        self._grace = grace_seconds
        self._batch = batch
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._failure: str | None = None

    def rotate(self) -> int:
        """Make a new term the one all writes use, and start re-encrypting to it."""
        term = self._barrier.rotate_term()
        self._save({"term": term, "started": self._now(), "after": None, "reencrypted": 0})
        self.resume()
        return term

    def status(self) -> dict[str, Any]:
        """The active term and, while one runs, the rotation's progress (for status)."""
        active, terms = self._barrier.terms()
        status: dict[str, Any] = {"term": active}
        progress = self._load()
        if progress is not None or len(terms) > 1:
            status["rotation"] = {
                "term": active,
                "reencrypted": 0 if progress is None else progress["reencrypted"],
                "old_terms": [term for term in terms if term != active],
            }
            if self._failure is not None:
                status["rotation"]["failed"] = self._failure
        return status

    def resume(self) -> None:
        """Go on with an unfinished rotation in a background thread, unless one runs here.

        Unfinished means a progress record, or a keyring with more than one term (a crash
        between adding the term and recording the work, or a rotation started while the
        last one was finishing).
        """
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if self._barrier.sealed:
                return
            if self._load() is None:
                active, terms = self._barrier.terms()
                if len(terms) == 1:
                    return
                self._save(
                    {"term": active, "started": self._now(), "after": None, "reencrypted": 0}
                )
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="strongroom-term-rotation", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the background thread to stop after its batch (on seal and shutdown)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background thread to end by itself; True when none runs."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def run(self) -> bool:
        """Re-encrypt until done (True) or asked to stop (False), in the calling thread."""
        while not self._stop.is_set():
            progress = self._load()
            if progress is None:
                return True
            rewritten, last = self._barrier.reencrypt_batch(progress["after"], self._batch)
            progress["reencrypted"] += rewritten
            progress["after"] = last
            if not self._still_current(progress):
                continue  # another `rotate` wrote a fresh record meanwhile: follow it
            if last is None and self._finish(progress):
                return True
            self._save(progress)
        return False

    def _finish(self, progress: dict[str, Any]) -> bool:
        """After a whole pass: retire the old terms if nothing uses them, else pass again."""
        wait = progress["started"] + self._grace - self._now()
        if wait > 0 and self._stop.wait(wait):
            return False
        if not self._barrier.retire_old_terms():
            return False  # written meanwhile under an old term: one more pass
        self._barrier.scrub()  # before the progress goes: a failed scrub is retried
        self._barrier.delete_core(PROGRESS)
        log.warning("barrier key term %d is now the only one", progress["term"])
        return True

    def _run(self) -> None:
        try:
            self._failure = None
            self.run()
        except StrongroomError as error:  # sealed meanwhile, storage down, damaged record
            self._failure = _PAUSED
            log.error("barrier key-term rotation paused: %s", error.message)
        except Exception:
            self._failure = _PAUSED
            log.exception("barrier key-term rotation paused by an unexpected error")

    def _still_current(self, progress: dict[str, Any]) -> bool:
        """Whether the stored record is still the rotation `progress` tracks."""
        stored = self._load()
        return stored is not None and (stored["term"], stored["started"]) == (
            progress["term"],
            progress["started"],
        )

    def _load(self) -> dict[str, Any] | None:
        data = self._barrier.read_core(PROGRESS)
        if data is None:
            return None
        try:
            progress = json.loads(data)
            if not isinstance(progress, dict):
                raise ValueError
            return {
                "term": int(progress["term"]),
                "started": float(progress["started"]),
                "after": None if progress["after"] is None else str(progress["after"]),
                "reencrypted": int(progress["reencrypted"]),
            }
        except (ValueError, KeyError, TypeError):
            # unreadable: start the pass again from the beginning rather than give up
            return {"term": 0, "started": 0.0, "after": None, "reencrypted": 0}

    def _save(self, progress: dict[str, Any]) -> None:
        self._barrier.write_core(PROGRESS, json.dumps(progress, sort_keys=True).encode())
