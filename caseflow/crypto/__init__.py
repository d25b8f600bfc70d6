"""Encryption at rest of My Numbers and the registry facts (特定個人情報).

- ``keys``: the keyring (AES-256 keys by key id, and the HMAC key of the look-up column) from
  the configuration;
- ``types``: the column types that encrypt on write and decrypt on read (AES-GCM);
- ``rotation``: re-encrypting every stored value under the current key, and counting values per key;
- ``cli``: ``caseflow keys status`` and ``caseflow keys rotate``.
"""
