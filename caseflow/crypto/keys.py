"""The keyring: AES-256 keys by key id, and the HMAC key of the look-up column.

Two settings (``load_settings`` reads them for caseflow.config; production sets both, a fresh
install generates them into its instance folder):

- ``ENCRYPTION_KEYS`` (``CASEFLOW_ENCRYPTION_KEYS``): ``kid:base64,kid:base64,…``, each key 32
  random bytes. The first encrypts every new value; all of them decrypt. A key id is 1–16 letters,
  digits or ``-`` and is written in front of every value it encrypted.
- ``LOOKUP_KEY`` (``CASEFLOW_LOOKUP_KEY``): base64 of 32 random bytes, the HMAC-SHA256 key of
  ``cases.registered_number_digest``. It never changes with a rotation: the digests stay valid.

The column types need the keyring wherever a row is read or written: in a request, a command, the
worker, a migration. With an app context they use the app's keys; without one, the keys of the
application created last in this process (``create_app`` configures them); with no application
at all, the keys ``create_app()`` would load from the environment and the instance folder.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_app_context

from caseflow.instance import kept_in_instance

KEY_BYTES = 32
MAX_KID_LENGTH = 16
_KID = re.compile(r"[A-Za-z0-9-]{1,%d}\Z" % MAX_KID_LENGTH)


class KeyConfigError(ValueError):
    """The configured keys cannot be used. The message names the setting, never a key."""


class Keyring:
    """The configured keys: ``current_kid`` encrypts, every key decrypts, ``lookup_key`` makes digests."""

    __slots__ = ("current_kid", "_aeads", "_lookup_key")

    def __init__(self, keys: Mapping[str, bytes], lookup_key: bytes) -> None:
        if not keys:
            raise KeyConfigError("no encryption key configured")
        self.current_kid = next(iter(keys))
        self._aeads = {kid: AESGCM(key) for kid, key in keys.items()}
        self._lookup_key = lookup_key

    @property
    def kids(self) -> tuple[str, ...]:
        """The key ids, the current one first."""
        return tuple(self._aeads)

    def aead(self, kid: str) -> AESGCM | None:
        """The cipher of key ``kid``, or None when that key is not configured."""
        return self._aeads.get(kid)

    def digest(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 (hex) of ``value`` under the look-up key; ``purpose`` keeps kinds of value apart."""
        message = f"{purpose}\x00{value}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"<Keyring current={self.current_kid} kids={list(self.kids)}>"


def parse_keys(spec: str) -> dict[str, bytes]:
    """The keys of an ``ENCRYPTION_KEYS`` setting, in order (the first is the current key)."""
    keys: dict[str, bytes] = {}
    for position, entry in enumerate((part.strip() for part in (spec or "").split(",")), start=1):
        if not entry:
            continue
        kid, separator, encoded = entry.partition(":")
        kid = kid.strip()
        if not separator or not _KID.match(kid):
            raise KeyConfigError(f"CASEFLOW_ENCRYPTION_KEYS, entry {position}: expected kid:base64, the key id "
                                 f"being 1-{MAX_KID_LENGTH} letters, digits or '-'")
        if kid in keys:
            raise KeyConfigError(f"CASEFLOW_ENCRYPTION_KEYS: key id {kid} appears twice")
        keys[kid] = decode_key(encoded, f"CASEFLOW_ENCRYPTION_KEYS, key {kid}")
    if not keys:
        raise KeyConfigError("CASEFLOW_ENCRYPTION_KEYS holds no key")
    return keys


def decode_key(encoded: str, where: str) -> bytes:
    """A 32-byte key from its base64 text; ``where`` names the setting in the error."""
    try:
        key = base64.b64decode((encoded or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{where}: not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyConfigError(f"{where}: a key is base64 of {KEY_BYTES} random bytes, this one has {len(key)}")
    return key


def new_key() -> str:
    """A fresh key as base64 text (what ``openssl rand -base64 32`` prints)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def new_kid() -> str:
    """A key id for a generated key: unlikely to collide with one chosen by hand."""
    return f"k{secrets.token_hex(4)}"


@functools.lru_cache(maxsize=16)
def keyring_for(keys_spec: str, lookup_spec: str) -> Keyring:
    """The keyring of these two settings (parsed once)."""
    keys = parse_keys(keys_spec)
    lookup_key = decode_key(lookup_spec, "CASEFLOW_LOOKUP_KEY")
    if lookup_key in keys.values():
        raise KeyConfigError("CASEFLOW_LOOKUP_KEY must not be one of the encryption keys")
    return Keyring(keys, lookup_key)


def keyring_of(config: Mapping) -> Keyring:
    """The keyring of an application's configuration."""
    return keyring_for(config["ENCRYPTION_KEYS"], config["LOOKUP_KEY"])


_process_keyring: Keyring | None = None


def configure(config: Mapping) -> Keyring:
    """Check an application's keys (a bad setting stops the start) and use them outside app contexts too."""
    global _process_keyring
    _process_keyring = keyring_of(config)
    return _process_keyring


def load_settings(config: MutableMapping, env: Mapping[str, str], instance: Path) -> None:
    """ENCRYPTION_KEYS and LOOKUP_KEY into ``config`` when it has none: from the environment, or the instance folder.

    Without CASEFLOW_ENCRYPTION_KEYS, both are generated once into the instance folder
    (``encryption_keys``, same format as the variable, and ``lookup_key``). With it, the look-up
    key must be configured as well (CASEFLOW_LOOKUP_KEY), or already be in the instance folder:
    one generated silently on another server would not find the same numbers.
    """
    from_instance = not config.get("ENCRYPTION_KEYS") and not env.get("CASEFLOW_ENCRYPTION_KEYS")
    if not config.get("ENCRYPTION_KEYS"):
        config["ENCRYPTION_KEYS"] = env.get("CASEFLOW_ENCRYPTION_KEYS") or kept_in_instance(
            instance, "encryption_keys", lambda: f"{new_kid()}:{new_key()}")
    if not config.get("LOOKUP_KEY"):
        config["LOOKUP_KEY"] = env.get("CASEFLOW_LOOKUP_KEY") or kept_in_instance(
            instance, "lookup_key", new_key if from_instance else None)
    if not config["LOOKUP_KEY"]:
        raise KeyConfigError("CASEFLOW_LOOKUP_KEY is not set: configure it together with "
                             "CASEFLOW_ENCRYPTION_KEYS (base64 of 32 random bytes, never changed)")


def current_keyring() -> Keyring:
    """The keyring for the code running now (see the module's docstring)."""
    if has_app_context():
        return keyring_of(current_app.config)
    if _process_keyring is None:
        from caseflow import ROOT

        # The keys create_app() would load (caseflow.config loads them with load_settings too).
        settings: dict[str, str] = {}
        load_settings(settings, os.environ, Path(os.environ.get("CASEFLOW_INSTANCE_PATH") or str(ROOT / "instance")))
        return configure(settings)
    return _process_keyring


MY_NUMBER = "my_number"


def lookup_digest(value: str, purpose: str = MY_NUMBER, keyring: Keyring | None = None) -> str:
    """The look-up digest of ``value`` (a My Number unless ``purpose`` says otherwise)."""
    return (keyring or current_keyring()).digest(value, purpose)
