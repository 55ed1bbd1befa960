"""The two kinds of failure the runtime reports: API errors and SQL errors.

* :class:`ApiError` is what a control-plane or Data API operation raises: AWS's error code
  (``ValidationException``, ``ResourceNotFoundException``...) and message; the wiring turns
  it into an AWS-shaped HTTP error.
* :class:`SqlError` is what a SQL statement fails with: a PostgreSQL/Redshift SQLSTATE and
  message, sent to wire clients as an ``ErrorResponse`` and shown by the Data API's
  ``DescribeStatement.Error``.
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class SqlError(Exception):
    """A failed statement. ``fields`` are the ErrorResponse fields by their one-letter code."""

    def __init__(self, message: str, sqlstate: str = "XX000", severity: str = "ERROR", **extra: str) -> None:
        super().__init__(message)
        self.fields = {"S": severity, "V": severity, "C": sqlstate, "M": message}
        for key, value in extra.items():
            code = {"detail": "D", "hint": "H", "position": "P", "context": "W"}[key]
            self.fields[code] = str(value)

    @property
    def message(self) -> str:
        return self.fields.get("M", "")

    @property
    def sqlstate(self) -> str:
        return self.fields.get("C", "XX000")

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> SqlError:
        err = cls(fields.get("M", "error"), fields.get("C", "XX000"), fields.get("S", "ERROR"))
        err.fields = dict(fields)
        return err


def not_supported(what: str) -> SqlError:
    """A feature localcloud does not run: said plainly, never answered differently."""
    return SqlError(f"NOT_SUPPORTED: {what} is not supported by localcloud's Redshift warehouse.", "0A000")
