"""Column types that keep a value encrypted in the database (AES-256-GCM) and plain in Python.

Stored form: ``v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`` with a random 96-bit nonce per
value. The associated data names the column (``cases.registered_number``): a value copied into
another column does not decrypt. A stored value without the ``v1:`` prefix is read as it is
(rows written before migration 0011, until they are encrypted); every write encrypts.

Encrypted values cannot be compared in SQL (the same value encrypts differently every time):
the types refuse it. Look a My Number up through ``cases.registered_number_digest``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import math
import os

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlalchemy.sql import operators

from caseflow.crypto.keys import MAX_KID_LENGTH, Keyring, current_keyring

VERSION = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    """A stored value that cannot be decrypted. The message names the column and key id, never a value."""


def stored_length(max_plaintext_bytes: int) -> int:
    """The longest stored form of a value of at most ``max_plaintext_bytes`` (UTF-8)."""
    sealed = NONCE_BYTES + max_plaintext_bytes + TAG_BYTES
    return len(VERSION) + 1 + MAX_KID_LENGTH + 1 + 4 * math.ceil(sealed / 3)


def _associated_data(kid: str, context: str) -> bytes:
    return f"{VERSION}:{kid}:{context}".encode()


def is_sealed(stored: str) -> bool:
    """True for an encrypted value, False for a legacy plaintext one."""
    return stored.startswith(VERSION + ":")


def sealed_kid(stored: str) -> str | None:
    """The id of the key that encrypted ``stored``; None for plaintext."""
    if not is_sealed(stored):
        return None
    return stored.split(":", 2)[1]


def seal(plaintext: str, context: str, keyring: Keyring | None = None) -> str:
    """Encrypt ``plaintext`` for column ``context`` (``table.column``) under the current key."""
    keyring = keyring or current_keyring()
    kid = keyring.current_kid
    nonce = os.urandom(NONCE_BYTES)
    sealed = keyring.aead(kid).encrypt(nonce, plaintext.encode("utf-8"), _associated_data(kid, context))
    return f"{VERSION}:{kid}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def unseal(stored: str, context: str, keyring: Keyring | None = None) -> str:
    """Decrypt a value of column ``context``; a legacy plaintext value comes back as it is."""
    if not is_sealed(stored):
        return stored
    parts = stored.split(":", 2)
    if len(parts) != 3:
        raise DecryptionError(f"cannot decrypt {context}: malformed value")
    _version, kid, encoded = parts
    aead = (keyring or current_keyring()).aead(kid)
    if aead is None:
        raise DecryptionError(f"cannot decrypt {context}: key {kid!r} is not in CASEFLOW_ENCRYPTION_KEYS")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError(f"cannot decrypt {context} (key {kid}): malformed value") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"cannot decrypt {context} (key {kid}): malformed value")
    try:
        plaintext = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(kid, context))
    except InvalidTag:
        raise DecryptionError(f"cannot decrypt {context} (key {kid}): the value was altered or belongs to "
                              "another column") from None
    return plaintext.decode("utf-8")


class EncryptedType(sa.TypeDecorator):
    """Base of the encrypted column types: ``context`` is the column's ``table.column``."""

    impl = sa.String
    cache_ok = True
    context: str

    class Comparator(sa.TypeDecorator.Comparator):
        """Only IS NULL / IS NOT NULL: any other comparison of ciphertexts would silently be false."""

        def operate(self, op, *other, **kwargs):
            if op in (operators.is_, operators.is_not):
                return super().operate(op, *other, **kwargs)
            raise TypeError(f"{self.type.context} is encrypted and cannot be compared or sorted in SQL")

        def reverse_operate(self, op, other, **kwargs):
            raise TypeError(f"{self.type.context} is encrypted and cannot be compared or sorted in SQL")

    comparator_factory = Comparator

    def _to_text(self, value) -> str:  # pragma: no cover - each type defines it
        raise NotImplementedError

    def _from_text(self, text: str):  # pragma: no cover - each type defines it
        raise NotImplementedError

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return seal(self._to_text(value), self.context)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return self._from_text(unseal(value, self.context))


class EncryptedString(EncryptedType):
    """Text of at most ``max_chars`` characters, encrypted."""

    cache_ok = True

    def __init__(self, context: str, max_chars: int) -> None:
        super().__init__(length=stored_length(4 * max_chars))
        self.context = context
        self.max_chars = max_chars

    @property
    def python_type(self) -> type:
        return str

    def _to_text(self, value) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{self.context} takes text, not {type(value).__name__}")
        if len(value) > self.max_chars:
            raise ValueError(f"{self.context} holds at most {self.max_chars} characters")
        return value

    def _from_text(self, text: str) -> str:
        return text


class EncryptedDate(EncryptedType):
    """A date (``datetime.date``), encrypted as its ISO form."""

    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__(length=stored_length(len("YYYY-MM-DD")))
        self.context = context

    @property
    def python_type(self) -> type:
        return dt.date

    def _to_text(self, value) -> str:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise TypeError(f"{self.context} takes a date, not {type(value).__name__}")
        return value.isoformat()

    def _from_text(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)


class EncryptedEnum(EncryptedType):
    """A member of ``enum_class`` (or its value), encrypted as its value."""

    cache_ok = True

    def __init__(self, enum_class: type[enum.Enum], context: str) -> None:
        super().__init__(length=stored_length(max(len(str(m.value).encode()) for m in enum_class)))
        self.enum_class = enum_class
        self.context = context

    @property
    def python_type(self) -> type:
        return self.enum_class

    def _to_text(self, value) -> str:
        if isinstance(value, self.enum_class):
            return str(value.value)
        try:
            return str(self.enum_class(value).value)
        except ValueError:
            raise ValueError(f"{self.context} takes a {self.enum_class.__name__}") from None

    def _from_text(self, text: str) -> enum.Enum:
        return self.enum_class(text)


class EncryptedBlob(EncryptedType):
    """Bytes (a scanned document), encrypted; stored as text like the other encrypted columns, so
    that key rotation treats every encrypted column alike."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    @property
    def python_type(self) -> type:
        return bytes

    def _to_text(self, value) -> str:
        if not isinstance(value, bytes | bytearray):
            raise TypeError(f"{self.context} takes bytes, not {type(value).__name__}")
        return base64.b64encode(bytes(value)).decode("ascii")

    def _from_text(self, text: str) -> bytes:
        return base64.b64decode(text)
