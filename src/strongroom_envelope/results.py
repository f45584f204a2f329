"""What encrypt and decrypt report besides the bytes: the message's public facts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from strongroom_envelope.suites import AlgorithmSuite

__all__ = ["Decrypted", "MessageInfo"]


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """The authenticated facts of one message.

    `encryption_context` is the full context the message is bound to: the pairs the header
    stores, the signing public key of signed suites, and any authenticate-only pairs.
    """

    suite: AlgorithmSuite
    message_id: bytes
    encryption_context: Mapping[str, str]
    frame_length: int
    plaintext_length: int
    message_length: int


@dataclass(frozen=True, slots=True)
class Decrypted:
    """The result of decrypting a message held in memory."""

    plaintext: bytes = field(repr=False)
    info: MessageInfo

    @property
    def encryption_context(self) -> Mapping[str, str]:
        """The message's full encryption context."""
        return self.info.encryption_context
