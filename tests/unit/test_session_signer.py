from __future__ import annotations

from acme.entrypoints.security import SESSION_MAX_AGE, SessionSigner, safe_next


def test_a_session_is_valid_until_it_expires() -> None:
    signer = SessionSigner("tok")
    cookie = signer.new_session(now=1000)
    assert signer.session_id(cookie, now=1000 + SESSION_MAX_AGE) is not None
    assert signer.session_id(cookie, now=1001 + SESSION_MAX_AGE) is None


def test_changing_the_token_ends_every_session() -> None:
    cookie = SessionSigner("old").new_session(now=1000)
    assert SessionSigner("new").session_id(cookie, now=1000) is None


def test_forged_or_malformed_sessions_are_refused() -> None:
    signer = SessionSigner("tok")
    issued, sid, sig = signer.new_session(now=1000).split(".")
    assert signer.session_id(f"{int(issued) + 1}.{sid}.{sig}", now=1001) is None
    for bad in ("", "x", "1.2", "a.b.c", f"{issued}.{sid}."):
        assert signer.session_id(bad, now=1000) is None


def test_csrf_token_is_bound_to_its_session() -> None:
    signer = SessionSigner("tok")
    one, two = signer.new_session(), signer.new_session()
    assert signer.check_csrf(one, signer.csrf_token(one))
    assert not signer.check_csrf(one, signer.csrf_token(two))
    assert not signer.check_csrf(one, "")


def test_token_check() -> None:
    signer = SessionSigner("tok")
    assert signer.check_token("tok")
    assert not signer.check_token("tok ")
    assert not signer.check_token("")


def test_safe_next() -> None:
    assert safe_next("/products?x=1") == "/products?x=1"
    assert safe_next(None) == "/"
    assert safe_next("//evil") == "/"
    assert safe_next("http://evil") == "/"
