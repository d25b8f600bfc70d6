"""The encrypted form, the keyring and its configuration, without a database."""

from __future__ import annotations

import base64
import datetime as dt
import stat

import pytest
import sqlalchemy as sa

import caseflow.models  # noqa: F401  (every table on Base.metadata)
from caseflow.cases.models import Case, Correction
from caseflow.cases.vocabulary import Sex
from caseflow.config import load_config
from caseflow.crypto import keys
from caseflow.crypto.keys import KeyConfigError, keyring_for, parse_keys
from caseflow.crypto.rotation import encrypted_tables
from caseflow.crypto.types import (
    DecryptionError,
    EncryptedDate,
    EncryptedEnum,
    EncryptedString,
    EncryptedType,
    seal,
    sealed_kid,
    unseal,
)
from caseflow.db import Base

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()
LOOKUP = base64.b64encode(bytes(range(200, 232))).decode()
NUMBER = "123456789018"


@pytest.fixture
def keyring():
    return keyring_for(f"a:{KEY_A},b:{KEY_B}", LOOKUP)


def test_the_stored_form_names_its_key_and_differs_every_time(keyring):
    first, second = (seal(NUMBER, "cases.registered_number", keyring) for _ in range(2))
    assert first.startswith("v1:a:") and sealed_kid(first) == "a"
    assert first != second and NUMBER not in first
    raw = base64.b64decode(first.split(":", 2)[2])
    assert len(raw) == 12 + len(NUMBER) + 16  # a 96-bit nonce, the ciphertext, the tag
    assert unseal(first, "cases.registered_number", keyring) == NUMBER


def test_any_configured_key_decrypts_and_only_the_first_encrypts(keyring):
    under_b = seal(NUMBER, "cases.registered_number", keyring_for(f"b:{KEY_B}", LOOKUP))
    assert unseal(under_b, "cases.registered_number", keyring) == NUMBER
    assert sealed_kid(seal(NUMBER, "cases.registered_number", keyring)) == "a"


def _flip(stored: str, position: int) -> str:
    head, encoded = stored.rsplit(":", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[position] ^= 0x01
    return f"{head}:{base64.b64encode(bytes(raw)).decode()}"


@pytest.mark.parametrize("position", [0, 12, -1], ids=["nonce", "ciphertext", "tag"])
def test_a_tampered_value_does_not_decrypt_and_the_error_shows_nothing_of_it(keyring, position):
    stored = _flip(seal(NUMBER, "cases.registered_number", keyring), position)
    with pytest.raises(DecryptionError, match="altered or belongs to another column") as error:
        unseal(stored, "cases.registered_number", keyring)
    assert NUMBER not in str(error.value) and stored[5:] not in str(error.value)


def test_a_value_moved_to_another_column_does_not_decrypt(keyring):
    stored = seal("山田　次郎", "cases.registry_name", keyring)
    with pytest.raises(DecryptionError, match="cases.registry_kana .*another column"):
        unseal(stored, "cases.registry_kana", keyring)


def test_a_value_under_a_key_no_longer_configured_says_which_key(keyring):
    stored = seal(NUMBER, "cases.registered_number", keyring_for(f"old:{KEY_B}", LOOKUP))
    with pytest.raises(DecryptionError, match="key 'old' is not in CASEFLOW_ENCRYPTION_KEYS"):
        unseal(stored, "cases.registered_number", keyring)


@pytest.mark.parametrize("stored", ["v1:a:", "v1:a:not base64!", "v1:a", "v1:a:AAAA"])
def test_a_malformed_value_is_refused(keyring, stored):
    with pytest.raises(DecryptionError, match="cannot decrypt cases.registered_number"):
        unseal(stored, "cases.registered_number", keyring)


def test_a_legacy_plaintext_value_reads_as_it_is(keyring):
    assert unseal(NUMBER, "cases.registered_number", keyring) == NUMBER


def test_every_encrypted_column_is_bound_to_its_own_name():
    columns = [(t.name, c) for t in Base.metadata.sorted_tables for c in t.columns if isinstance(c.type, EncryptedType)]
    assert {f"{t}.{c.name}" for t, c in columns} >= {
        "cases.registered_number", "cases.registry_name", "cases.registry_kana", "cases.registry_birth_date",
        "cases.registry_sex", "cases.registry_address", "corrections.linked_number"}
    assert all(c.type.context == f"{t}.{c.name}" for t, c in columns)
    tables = {t.name: t.columns for t in encrypted_tables()}
    assert tables["cases"] == ("registered_number", "registry_name", "registry_kana", "registry_birth_date",
                               "registry_sex", "registry_address")
    assert tables["corrections"] == ("linked_number",)


def test_python_values_keep_their_types(app):
    date_type, sex_type = EncryptedDate("t.d"), EncryptedEnum(Sex, "t.s")
    stored = date_type.process_bind_param(dt.date(1972, 5, 1), None)
    assert date_type.process_result_value(stored, None) == dt.date(1972, 5, 1)
    assert date_type.process_result_value("1972-05-01", None) == dt.date(1972, 5, 1)  # legacy plaintext
    for given in (Sex.FEMALE, "female"):
        assert sex_type.process_result_value(sex_type.process_bind_param(given, None), None) is Sex.FEMALE
    with pytest.raises(ValueError, match="t.s takes a Sex"):
        sex_type.process_bind_param("unknown", None)
    with pytest.raises(TypeError):
        date_type.process_bind_param(dt.datetime(1972, 5, 1, 9), None)
    with pytest.raises(ValueError, match="at most 12 characters"):
        EncryptedString("t.n", 12).process_bind_param("1" * 13, None)


def test_encrypted_columns_refuse_comparison_in_sql():
    for expression in (lambda: Case.registered_number == NUMBER, lambda: Correction.linked_number.in_([NUMBER]),
                       lambda: Case.registry_name.like("山田%"), lambda: Case.registry_birth_date.desc()):
        with pytest.raises(TypeError, match="is encrypted and cannot be compared"):
            expression()
    assert "IS NULL" in str(sa.select(Case.id).where(Case.registry_name.is_(None)))


def test_the_digest_is_keyed_and_stable_across_encryption_keys():
    one = keyring_for(f"a:{KEY_A}", LOOKUP)
    rotated = keyring_for(f"b:{KEY_B},a:{KEY_A}", LOOKUP)
    other_lookup = keyring_for(f"a:{KEY_A}", base64.b64encode(bytes(32)).decode())
    assert one.digest(NUMBER, "my_number") == rotated.digest(NUMBER, "my_number")
    assert one.digest(NUMBER, "my_number") != other_lookup.digest(NUMBER, "my_number")
    assert len(one.digest(NUMBER, "my_number")) == 64 and NUMBER not in one.digest(NUMBER, "my_number")


@pytest.mark.parametrize("spec, problem", [
    ("", "holds no key"),
    ("a", "expected kid:base64"),
    ("a_b:" + KEY_A, "expected kid:base64"),
    ("a:" + KEY_A + ",a:" + KEY_B, "appears twice"),
    ("a:not-base64", "not valid base64"),
    ("a:" + base64.b64encode(b"short").decode(), "32 random bytes, this one has 5"),
])
def test_a_bad_key_setting_is_refused_without_showing_a_key(spec, problem):
    with pytest.raises(KeyConfigError, match=problem) as error:
        parse_keys(spec)
    assert KEY_A not in str(error.value) and KEY_B not in str(error.value)


def test_the_lookup_key_must_differ_from_the_encryption_keys():
    with pytest.raises(KeyConfigError, match="must not be one of the encryption keys"):
        keyring_for(f"a:{KEY_A}", KEY_A)
    assert "a" in repr(keyring_for(f"a:{KEY_A}", LOOKUP)) and KEY_A not in repr(keyring_for(f"a:{KEY_A}", LOOKUP))


@pytest.fixture
def keep_process_keyring(monkeypatch):
    """load_config() makes its keys the process's: put the suite's back afterwards."""
    monkeypatch.setattr(keys, "_process_keyring", keys._process_keyring)


def test_a_fresh_install_generates_its_keys_once_readable_by_the_owner_only(tmp_path, monkeypatch,
                                                                           keep_process_keyring):
    monkeypatch.delenv("CASEFLOW_ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("CASEFLOW_LOOKUP_KEY", raising=False)
    first = load_config(str(tmp_path))
    again = load_config(str(tmp_path))
    assert (first["ENCRYPTION_KEYS"], first["LOOKUP_KEY"]) == (again["ENCRYPTION_KEYS"], again["LOOKUP_KEY"])
    for name in ("encryption_keys", "lookup_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert (tmp_path / "encryption_keys").read_text().strip() == first["ENCRYPTION_KEYS"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_configured_keys_need_the_lookup_key_configured_too(tmp_path, monkeypatch, keep_process_keyring):
    monkeypatch.setenv("CASEFLOW_ENCRYPTION_KEYS", f"a:{KEY_A}")
    monkeypatch.delenv("CASEFLOW_LOOKUP_KEY", raising=False)
    with pytest.raises(KeyConfigError, match="CASEFLOW_LOOKUP_KEY is not set"):
        load_config(str(tmp_path))
    assert not (tmp_path / "lookup_key").exists() and not (tmp_path / "encryption_keys").exists()
    monkeypatch.setenv("CASEFLOW_LOOKUP_KEY", LOOKUP)
    config = load_config(str(tmp_path))
    assert (config["ENCRYPTION_KEYS"], config["LOOKUP_KEY"]) == (f"a:{KEY_A}", LOOKUP)
