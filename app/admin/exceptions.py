from app.core.errors import Conflict, NotFound


class UserNotFound(NotFound):
    code, title = "user-not-found", "User not found"


class SelfLockout(Conflict):
    code, title = "self-lockout", "Operators cannot lock themselves out"
