"""Staff sign-in, second factor (TOTP), sign-out, and ``/staff`` sending each role to its page."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from planner.auth import sessions, signin, totp
from planner.auth.roles import home_path, needs_second_factor
from planner.models import UserAccount
from web.auth import (
    SESSION_COOKIE,
    SignInRequired,
    audit_sync,
    client_ip,
    cookie_is_secure,
    identity_of,
    see_other,
    timeouts_of,
)
from web.i18n import gettext_ as _
from web.templating import page

SIGNIN_COOKIE = "creneau_signin"
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def _limits(request: Request) -> signin.Limits:
    import datetime as dt

    settings = request.app.state.settings
    return signin.Limits(per_account=settings.signin_attempts_per_account,
                         per_ip=settings.signin_attempts_per_ip,
                         window=dt.timedelta(minutes=settings.signin_window_minutes))


def _safe_next(target: str | None) -> str | None:
    """Only paths of our own staff area are followed after sign-in."""
    if target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=cookie_is_secure(request.scope, request.app.state.settings))


def _sign(request: Request, value: str) -> str:
    key = request.app.state.settings.signing_key()
    return hmac.new(key, b"totp-enrol:" + value.encode(), hashlib.sha256).hexdigest()


def signin_page(request: Request, *, error: str = "", email: str = "", status: int = 200,
                nonce: str | None = None) -> Template:
    """The sign-in form, with a fresh anti-forgery nonce (also set as a cookie)."""
    nonce = nonce or secrets.token_urlsafe(24)
    response = page("staff/signin.html", error=error, email=email, nonce=nonce,
                    next=_safe_next(request.query_params.get("next")) or "",
                    idle_minutes=request.app.state.settings.session_idle_minutes)
    response.status_code = status
    response.set_cookie(SIGNIN_COOKIE, nonce, path="/staff", httponly=True, samesite="strict",
                        secure=cookie_is_secure(request.scope, request.app.state.settings))
    return response


class AuthController(Controller):
    """Sign-in, TOTP and sign-out."""

    path = "/staff"
    include_in_schema = False

    @get("/", )
    async def staff_entry(self, request: Request) -> Redirect:
        """Send each role to its page; visitors to the sign-in form."""
        identity = identity_of(request)
        if identity is None:
            return see_other("/staff/signin")
        if not identity.session.second_factor_ok:
            return see_other("/staff/signin/code")
        return see_other(home_path(identity.role))

    @get("/signin", )
    async def signin_form(self, request: Request) -> Template | Redirect:
        """The sign-in form."""
        identity = identity_of(request)
        if identity is not None and identity.session.second_factor_ok:
            return see_other(home_path(identity.role))
        return signin_page(request)

    @post("/signin", sync_to_thread=True, status_code=303)
    def signin(self, request: Request, db: Session,
               data: Annotated[dict[str, Any], FORM]) -> Template | Redirect:
        """Check the e-mail and password; the same answer whether the account exists or not."""
        email = str(data.get("email", ""))[:200]
        password = str(data.get("password", ""))[:1000]
        nonce = str(data.get("nonce", ""))
        cookie_nonce = request.cookies.get(SIGNIN_COOKIE, "")
        if not (nonce and cookie_nonce and hmac.compare_digest(nonce, cookie_nonce)):
            audit_sync(request, "signin", "account", "", outcome="refused")
            return signin_page(request, email=email, status=400, error=_(
                "The sign-in form expired. Please try again."))
        ip = client_ip(request.scope)
        attempt = signin.check_password(db, email, password, ip, _limits(request))
        actor_email = signin.normalise_email(email)
        if attempt.outcome is signin.Outcome.THROTTLED:
            audit_sync_as(request, actor_email, "signin", "throttled")
            return signin_page(request, email=email, status=429, error=_(
                "Too many failed attempts. Wait a few minutes before trying again."))
        if attempt.outcome is signin.Outcome.REFUSED or attempt.user is None:
            audit_sync_as(request, actor_email, "signin", "refused")
            return signin_page(request, email=email, status=401, error=_(
                "The e-mail address or the password is not right."))
        user = attempt.user
        signin.forget_failures(db, actor_email)
        sessions.purge_expired(db, timeouts_of(request.app.state.settings))  # sessions left open
        second_ok = not needs_second_factor(user.role)
        token = sessions.start_session(db, user, second_factor_ok=second_ok, ip=ip,
                                       replaces=request.cookies.get(SESSION_COOKIE))
        audit_sync_as(request, user.email, "signin", "ok" if second_ok else "password_ok",
                      role=user.role.value, object_id=user.id)
        target = home_path(user.role) if second_ok else "/staff/signin/code"
        nxt = _safe_next(str(data.get("next", "")))
        if nxt:
            target = nxt if second_ok else f"{target}?next={nxt}"
        response = see_other(target)
        _set_session_cookie(response, request, token)
        response.delete_cookie(SIGNIN_COOKIE, path="/staff")
        return response

    @get("/signin/code", sync_to_thread=True)
    def code_form(self, request: Request) -> Template | Redirect:
        """Second step: the authenticator code (and the secret to enrol, the first time)."""
        identity = identity_of(request)
        if identity is None:
            return see_other("/staff/signin")
        if identity.session.second_factor_ok:
            return see_other(home_path(identity.role))
        return self._code_page(request, identity.user)

    def _code_page(self, request: Request, user: UserAccount, error: str = "",
                   status: int = 200, secret: str | None = None) -> Template:
        enrol = user.totp_secret is None
        if enrol and secret is None:
            secret = totp.new_secret()
        response = page(
            "staff/code.html", error=error, enrol=enrol, secret=secret or "",
            secret_grouped=totp.grouped(secret) if secret else "",
            secret_sig=_sign(request, secret) if secret else "",
            uri=totp.provisioning_uri(secret, user.email) if secret else "",
            next=_safe_next(request.query_params.get("next")) or "",
        )
        response.status_code = status
        return response

    @post("/signin/code", sync_to_thread=True, status_code=303)
    def code(self, request: Request, db: Session,
             data: Annotated[dict[str, Any], FORM]) -> Template | Redirect:
        """Check the code; enrolment stores the secret; the session id changes again."""
        identity = identity_of(request)
        if identity is None:
            raise SignInRequired("Sign in to continue.")
        user = db.get(UserAccount, identity.user.id)
        assert user is not None
        ip = client_ip(request.scope)
        account = signin.normalise_email(user.email)
        secret = user.totp_secret
        offered = str(data.get("secret", ""))
        if secret is None:
            if not hmac.compare_digest(str(data.get("secret_sig", "")), _sign(request, offered)):
                return self._code_page(request, user, status=400, error=_(
                    "The form expired. Please try again."))
            secret = offered
        if signin.is_throttled(db, account, ip, _limits(request)):
            audit_sync(request, "signin_code", "account", user.id, outcome="throttled")
            return self._code_page(request, user, status=429, secret=offered or None, error=_(
                "Too many failed attempts. Wait a few minutes before trying again."))
        if not totp.verify(secret, str(data.get("code", ""))):
            signin.record_failure(db, account, ip)
            audit_sync(request, "signin_code", "account", user.id, outcome="refused")
            return self._code_page(request, user, status=401, secret=offered or None, error=_(
                "This code is not right. Check the time on your phone and try again."))
        if user.totp_secret is None:
            user.totp_secret = secret
            db.add(user)
            db.commit()
            audit_sync(request, "totp_enrol", "account", user.id)
        token = sessions.start_session(db, user, second_factor_ok=True, ip=ip,
                                       replaces=request.scope["state"].get("staff_token"))
        signin.forget_failures(db, account)
        audit_sync(request, "signin", "account", user.id)
        response = see_other(_safe_next(str(data.get("next", ""))) or home_path(user.role))
        _set_session_cookie(response, request, token)
        return response

    @post("/signout", sync_to_thread=True, status_code=303)
    def signout(self, request: Request, db: Session) -> Redirect:
        """End the session on the server and forget the cookie."""
        token = request.scope["state"].get("staff_token")
        if token:
            audit_sync(request, "signout", "account", identity_of(request).user.id)  # type: ignore[union-attr]
            sessions.end_session(db, token)
        response = see_other("/staff/signin?signed_out=1")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def audit_sync_as(request: Request, actor: str, action: str, outcome: str, role: str = "",
                  object_id: object = "") -> None:
    """An audit row for a sign-in attempt, whose actor is the account tried."""
    from planner import audit
    from web.auth import request_id_of

    audit.record(request.app.state.engine, actor=actor or "anonymous", role=role, action=action,
                 object_type="account", object_id=str(object_id or ""), outcome=outcome,
                 request_id=request_id_of(request))
