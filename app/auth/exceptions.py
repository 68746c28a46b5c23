from app.core.errors import Conflict, Unauthorized


class EmailTaken(Conflict):
    code, title = "email-taken", "Email already registered"


class InvalidCredentials(Unauthorized):
    code, title = "invalid-credentials", "Invalid credentials"


class InvalidRefreshToken(Unauthorized):
    code, title = "invalid-refresh-token", "Invalid refresh token"


class RefreshTokenReused(Unauthorized):
    code, title = "refresh-token-reused", "Refresh token reuse detected"
