from app.core.errors import Conflict, Unauthorized, Unprocessable


class EmailTaken(Conflict):
    code, title = "email-taken", "Email already registered"


class InvalidCredentials(Unauthorized):
    code, title = "invalid-credentials", "Invalid credentials"


class InvalidRefreshToken(Unauthorized):
    code, title = "invalid-refresh-token", "Invalid refresh token"


class RefreshTokenReused(Unauthorized):
    code, title = "refresh-token-reused", "Refresh token reuse detected"


class InvalidResetToken(Unprocessable):
    code, title = "invalid-reset-token", "Invalid or expired reset token"


class WrongPassword(Unauthorized):
    code, title = "wrong-password", "Current password is incorrect"


class NoPassword(Conflict):
    code, title = "no-password", "This account has no password"


class InvalidCode(Unprocessable):
    code, title = "invalid-code", "Invalid one-time code"


class PhoneTaken(Conflict):
    code, title = "phone-taken", "Phone number already registered"
