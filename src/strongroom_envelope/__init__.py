"""strongroom_envelope: client-side envelope encryption in the AWS Encryption SDK format."""

from strongroom_envelope.decryptor import decrypt, decrypt_stream
from strongroom_envelope.encryptor import encrypt, encrypt_stream
from strongroom_envelope.keyrings import Keyring, RawAesKeyring

__all__ = ["Keyring", "RawAesKeyring", "decrypt", "decrypt_stream", "encrypt", "encrypt_stream"]
