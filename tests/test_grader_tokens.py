"""The grader's forged tokens each carry exactly the defect they are named for: a real token's
claims, and one thing wrong that a careful resource server refuses and a careless one does not."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.util import urlsafe_b64decode, urlsafe_b64encode

from grader.http_helpers import parse_challenges
from grader.tokens import claims_of, forge, header_of

ISSUER_KEY = RSAKey.generate_key(2048, auto_kid=True)
PUBLISHED = KeySet([ISSUER_KEY])


def real_token(**claims) -> str:
    now = int(time.time())
    payload = {"iss": "http://127.0.0.1:8000", "aud": "urn:apilab:notes", "sub": "usr_1",
               "scope": "notes:read", "iat": now, "exp": now + 600, "jti": "j1", **claims}
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": ISSUER_KEY.kid}, payload, ISSUER_KEY)


def test_alg_none_keeps_the_claims_and_drops_the_signature():
    token = forge("alg-none", real_token())
    assert header_of(token)["alg"] == "none" and token.endswith(".")
    assert claims_of(token) == claims_of(real_token()) | {"iat": claims_of(token)["iat"],
                                                         "exp": claims_of(token)["exp"]}
    with pytest.raises(JoseError):
        jwt.decode(token, PUBLISHED, algorithms=["RS256"])


def test_hmac_with_the_public_key_is_an_hs256_mac_keyed_with_its_pem():
    token = forge("hmac-public-key", real_token(), public_jwk=ISSUER_KEY.as_dict(private=False))
    assert header_of(token)["alg"] == "HS256" and header_of(token)["kid"] == ISSUER_KEY.kid
    signing_input, signature = token.rsplit(".", 1)
    pem = ISSUER_KEY.as_pem(private=False)
    expected = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    assert urlsafe_b64decode(signature.encode()) == expected, "what a confused server would check"
    with pytest.raises(JoseError):
        jwt.decode(token, PUBLISHED, algorithms=["RS256"])


def test_a_tampered_token_keeps_its_signature_over_the_old_payload():
    original = real_token()
    token = forge("tampered", original, changes={"scope": "notes:read notes:write"})
    assert claims_of(token)["scope"] == "notes:read notes:write"
    assert token.split(".")[2] == original.split(".")[2]
    with pytest.raises(BadSignatureError):
        jwt.decode(token, PUBLISHED, algorithms=["RS256"])


@pytest.mark.parametrize("kind", ["unknown-key", "embedded-key"])
def test_a_strangers_key_signs_under_a_kid_the_issuer_never_published(kind):
    token = forge(kind, real_token())
    # read by hand: joserfc itself refuses headers this large (a key inside), which is one way
    # a resource server built on it refuses the embedded-key forgery
    header, claims = (json.loads(urlsafe_b64decode(part.encode())) for part in token.split(".")[:2])
    assert header["alg"] == "RS256" and header["kid"] != ISSUER_KEY.kid
    assert ("jwk" in header) == (kind == "embedded-key")
    assert claims["exp"] > time.time(), "only the key is wrong, not the dates"
    with pytest.raises(JoseError):
        jwt.decode(token, PUBLISHED, algorithms=["RS256"])


def test_the_payload_can_be_read_without_any_key():
    payload = urlsafe_b64encode(json.dumps({"sub": "x"}).encode()).decode()
    assert claims_of(f"eyJhbGciOiJub25lIn0.{payload}.") == {"sub": "x"}


@pytest.mark.parametrize(("values", "expected"), [
    (['Bearer realm="notes"'], [("Bearer", {"realm": "notes"})]),
    (['Bearer realm="notes", error="invalid_token", error_description="a, b"'],
     [("Bearer", {"realm": "notes", "error": "invalid_token", "error_description": "a, b"})]),
    (['bearer error="insufficient_scope",scope="notes:write notes:read"'],
     [("bearer", {"error": "insufficient_scope", "scope": "notes:write notes:read"})]),
    (['Basic realm="keys", Bearer error=invalid_token'],
     [("Basic", {"realm": "keys"}), ("Bearer", {"error": "invalid_token"})]),
    (["Basic realm=\"a\\\"b\"", "ApiKey header=\"X-API-Key\""],
     [("Basic", {"realm": 'a"b'}), ("ApiKey", {"header": "X-API-Key"})]),
    (["Bearer"], [("Bearer", {})]),
])
def test_www_authenticate_challenges_are_parsed_as_rfc_9110_says(values, expected):
    assert parse_challenges(values) == expected
