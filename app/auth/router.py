from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import TypeAdapter, ValidationError

from app.auth import otp, passwords, service
from app.auth.dependencies import CurrentUser
from app.auth.exceptions import InvalidCredentials
from app.auth.schemas import (
    Accepted,
    LoginIn,
    LogoutIn,
    NormalisedEmail,
    OtpRequestIn,
    OtpVerifyIn,
    RefreshIn,
    ResetConfirmIn,
    ResetRequestIn,
    SignupIn,
    TokenOut,
    UserOut,
)
from app.core.deps import (
    AuthLimit,
    ResourcesDep,
    SessionDep,
    SettingsDep,
    client_ip,
    spend_budget,
)
from app.core.email import email_sender
from app.core.errors import problem_responses
from app.core.sms import sms_sender

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

_email = TypeAdapter(NormalisedEmail)


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    operation_id="auth_signup",
    dependencies=[AuthLimit],
    responses=problem_responses(409, 422, 429),
)
async def signup(body: SignupIn, session: SessionDep) -> UserOut:
    """Create an account. Emails are case-insensitive; passwords need at least 8 characters."""
    user = await service.signup(session, body.email, body.password)
    return UserOut.model_validate(user)


@router.post(
    "/token",
    response_model=TokenOut,
    operation_id="auth_token",
    dependencies=[AuthLimit],
    responses=problem_responses(401, 429),
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    """OAuth2 password flow (form fields `username` = email, `password`); used by Swagger's
    Authorize button."""
    try:
        email = _email.validate_python(form.username)
    except ValidationError as exc:
        raise InvalidCredentials("Email or password is incorrect") from exc
    user = await service.authenticate(session, email, form.password)
    access, refresh = await service.issue_tokens(session, settings, user.id)
    return TokenOut(
        access_token=access, refresh_token=refresh, expires_in=service.expires_in(settings)
    )


@router.post(
    "/login",
    response_model=TokenOut,
    operation_id="auth_login",
    dependencies=[AuthLimit],
    responses=problem_responses(401, 422, 429),
)
async def login(body: LoginIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """JSON login answering an access token (15 minutes by default) and a refresh token."""
    user = await service.authenticate(session, body.email, body.password)
    access, refresh = await service.issue_tokens(session, settings, user.id)
    return TokenOut(
        access_token=access, refresh_token=refresh, expires_in=service.expires_in(settings)
    )


@router.post(
    "/refresh",
    response_model=TokenOut,
    operation_id="auth_refresh",
    dependencies=[AuthLimit],
    responses=problem_responses(401, 422),
)
async def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Exchange a refresh token for a new pair. Each refresh token works once; presenting a used
    one revokes its whole chain (reuse detection)."""
    access, new_refresh = await service.rotate_refresh(session, settings, body.refresh_token)
    return TokenOut(
        access_token=access, refresh_token=new_refresh, expires_in=service.expires_in(settings)
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="auth_logout",
    responses=problem_responses(401),
)
async def logout(
    body: LogoutIn, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> None:
    """Revoke the given refresh token's chain, or every session with `all_sessions`.
    Access tokens are short-lived and expire on their own."""
    await service.logout(session, settings, user.id, body.refresh_token, body.all_sessions)


@router.post(
    "/password-reset/request",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    operation_id="auth_password_reset_request",
    dependencies=[AuthLimit],
    responses=problem_responses(422, 429),
)
async def password_reset_request(
    body: ResetRequestIn, session: SessionDep, res: ResourcesDep, background: BackgroundTasks
) -> Accepted:
    """Email a single-use reset link. The answer is the same whether or not the address has
    an account."""
    await spend_budget(
        res,
        f"pwreset:{body.email}",
        res.settings.rate_limit_password_reset_per_hour,
        3600,
        "reset emails for this address",
    )
    outgoing = await passwords.request_reset(session, res.settings, body.email)
    if outgoing is not None:
        background.add_task(passwords.send_reset, email_sender(res.settings), *outgoing)
    return Accepted(detail="If the address has an account, a reset link is on its way")


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="auth_password_reset_confirm",
    dependencies=[AuthLimit],
    responses=problem_responses(400, 422, 429),
)
async def password_reset_confirm(
    body: ResetConfirmIn, session: SessionDep, res: ResourcesDep
) -> None:
    """Set a new password with the emailed token. Every session of the account ends."""
    await passwords.confirm_reset(
        session, res.revocations, res.settings, body.token, body.new_password
    )


@router.post(
    "/otp/request",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    operation_id="auth_otp_request",
    dependencies=[AuthLimit],
    responses=problem_responses(422, 429),
)
async def otp_request(
    body: OtpRequestIn,
    request: Request,
    session: SessionDep,
    res: ResourcesDep,
    background: BackgroundTasks,
) -> Accepted:
    """Text a 6-digit sign-in code to a phone number (international form). The answer is the
    same whether or not the number has an account; verifying the code creates one if not.
    At most one code a minute and a few an hour per number and per client address."""
    s = res.settings
    await spend_budget(
        res, f"otp:ip:{client_ip(request)}", s.otp_per_hour_per_ip, 3600, "codes from here"
    )
    await spend_budget(
        res,
        f"otp:resend:{body.phone}",
        1 if s.otp_resend_seconds else 0,
        s.otp_resend_seconds,
        "codes for this number",
    )
    await spend_budget(
        res, f"otp:hour:{body.phone}", s.otp_per_hour_per_number, 3600, "codes for this number"
    )
    code = await otp.issue_code(session, s, body.phone)
    background.add_task(
        otp.send_code, sms_sender(s), body.phone, code, max(1, s.otp_ttl_seconds // 60)
    )
    return Accepted(detail="A code is on its way if the number can receive texts")


@router.post(
    "/otp/verify",
    response_model=TokenOut,
    operation_id="auth_otp_verify",
    dependencies=[AuthLimit],
    responses=problem_responses(400, 401, 422, 429),
)
async def otp_verify(body: OtpVerifyIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Sign in with the code texted to the number; the first success creates the account."""
    user, _created = await otp.verify_login(session, settings, body.phone, body.code)
    access, refresh = await service.issue_tokens(session, settings, user.id)
    return TokenOut(
        access_token=access, refresh_token=refresh, expires_in=service.expires_in(settings)
    )
