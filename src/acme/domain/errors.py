"""Domain exceptions. Each carries a message meant for a person to read."""


class DomainError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input breaks a rule (an empty SKU, a name that is too long, ...)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(DomainError):
    """The thing asked for does not exist."""


class ConflictError(DomainError):
    """The change collides with existing state (a SKU held by another product, ...)."""


class InvalidStateError(DomainError):
    """The operation is not allowed in the entity's current state."""


class ConfirmationRequiredError(DomainError):
    """A destructive operation was asked for without its explicit confirmation."""


class TooLargeError(DomainError):
    """The request or file is larger than allowed."""
