import base64
import hashlib
import hmac

import pytest

from spark_runner.engine.masking.crypto import (
    DecryptionFailed,
    decrypt_value,
    derive_key,
    derive_keys,
    encrypt_value,
    hmac_hex,
    token_for,
)

SECRET = "correct horse battery staple 0123456789"


def test_keys_are_hkdf_sha256_of_the_secret_with_one_purpose_each():
    # RFC 5869 by hand: extract with a zero salt, expand one block
    prk = hmac.new(b"\0" * 32, SECRET.encode(), hashlib.sha256).digest()
    expected = hmac.new(prk, b"datahub-mask/hash\x01", hashlib.sha256).digest()
    assert derive_key(SECRET, "hash") == expected
    keys = derive_keys(SECRET)
    assert len({keys.token, keys.vault, keys.hash, keys.encrypt}) == 4
    assert derive_key(SECRET.encode(), "hash") == expected


def test_keys_never_show_in_their_repr():
    assert repr(derive_keys(SECRET)) == "MaskingKeys(***)"


def test_an_unknown_purpose_is_refused():
    with pytest.raises(ValueError, match="unknown key purpose"):
        derive_key(SECRET, "signing")


def test_hmac_hex_matches_the_standard_library():
    key = derive_key(SECRET, "hash")
    assert hmac_hex(key, "Zoë") == hmac.new(key, "Zoë".encode(), hashlib.sha256).hexdigest()


def test_a_token_is_a_prefixed_hex_hmac():
    key = derive_key(SECRET, "token")
    digest = hmac.new(key, "東京".encode(), hashlib.sha256).hexdigest()
    assert token_for(key, "東京") == "tok_" + digest
    assert len(token_for(key, "東京")) == 4 + 64


def test_encrypt_and_decrypt_round_trip_unicode_and_empty_text():
    for value in ("Zoë", "東京", "🙂 emoji", "", "x" * 10_000):
        assert decrypt_value(SECRET, encrypt_value(SECRET, value)) == value


def test_encrypting_twice_gives_two_ciphertexts():
    assert encrypt_value(SECRET, "same") != encrypt_value(SECRET, "same")


def test_the_wrong_key_does_not_decrypt():
    text = encrypt_value(SECRET, "Zoë")
    with pytest.raises(DecryptionFailed) as error:
        decrypt_value("another secret of enough length", text)
    assert "Zoë" not in str(error.value) and SECRET not in str(error.value)


def test_a_tampered_ciphertext_does_not_decrypt():
    raw = bytearray(base64.b64decode(encrypt_value(SECRET, "Zoë")))
    raw[14] ^= 1
    with pytest.raises(DecryptionFailed):
        decrypt_value(SECRET, base64.b64encode(bytes(raw)).decode())


def test_text_that_is_not_a_ciphertext_does_not_decrypt():
    for text in ("not base64!", "", base64.b64encode(b"short").decode()):
        with pytest.raises(DecryptionFailed):
            decrypt_value(SECRET, text)
