"""Errors of the simulator.

Two families:

* ``SimError`` and subclasses are the harness's own errors: bad input (a stack
  file that does not validate, an endpoint that is not loopback, a fault plan
  that names an unknown function). They carry one clear message that names
  the file or resource, the location and the fix; the CLI prints the message
  and exits non-zero, never a traceback.
* ``AwsError`` and subclasses are errors *as AWS raises them* to handler code.
  The class name is the AWS error code, ``code`` is a class attribute with the
  wire string, and every constructor argument is passed to
  ``super().__init__`` so ``type(e)(*e.args)`` rebuilds the exception (SimPy
  copies failures that way before throwing them into a waiting process).
"""

from __future__ import annotations


def yaml_where(exc: Exception, fmt: str) -> str:
    """Where a YAML syntax error is, in the caller's format (``fmt`` uses {line} and {column},
    1-based), or "" when the parser gave no position."""
    mark = getattr(exc, "problem_mark", None)
    return fmt.format(line=mark.line + 1, column=mark.column + 1) if mark else ""


def yaml_problem(exc: Exception) -> str:
    """The parser's own words for a YAML syntax error."""
    return getattr(exc, "problem", None) or str(exc)


class SimError(Exception):
    """A harness error with a message meant for a person."""


class ConfigError(SimError):
    """Bad input: a stack, fault plan or option that cannot be used as given."""


class SafetyError(SimError):
    """Something would reach outside the machine (a non-loopback endpoint)."""


class Refused(SimError):
    """A construct the simulator does not model; refused by name, never approximated."""


class StepBudgetExceeded(SimError):
    """A run did more kernel steps than its budget allows (a livelock guard)."""


class AwsError(Exception):
    """An AWS service error, raised with AWS's code, message and HTTP status."""

    code: str = "InternalFailure"
    status: int = 400
    sender_fault: bool = True

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message, code)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code

    #: For services that moved from the Query to the JSON protocol (SQS), the
    #: modelled exception's shape name; botocore maps it to the exception class.
    shape: str | None = None

    def to_error_shape(self) -> dict:
        """The parsed error response botocore builds a ClientError from."""
        error = {"Code": self.code, "Message": self.message}
        if self.shape:
            error["QueryErrorCode"] = self.shape
        return {"Error": error, "ResponseMetadata": {"HTTPStatusCode": self.status}}


def aws_error(code: str, message: str = "", status: int = 400) -> AwsError:
    """An AwsError for an arbitrary code (fault plans name codes as strings)."""
    cls = KNOWN_ERRORS.get(code)
    if cls is not None:
        return cls(message)
    err = AwsError(message, code)
    err.status = status
    return err


class ValidationException(AwsError):
    code = "ValidationException"


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"
    status = 404


class TooManyRequestsException(AwsError):
    code = "TooManyRequestsException"
    status = 429


class ServiceException(AwsError):
    code = "ServiceException"
    status = 500
    sender_fault = False


class ThrottlingException(AwsError):
    code = "ThrottlingException"
    status = 400


class InvalidParameterValueException(AwsError):
    code = "InvalidParameterValueException"


class InvalidEventPatternException(AwsError):
    code = "InvalidEventPatternException"


class ProvisionedThroughputExceededException(AwsError):
    code = "ProvisionedThroughputExceededException"


class InternalServerError(AwsError):
    code = "InternalServerError"
    status = 500
    sender_fault = False


KNOWN_ERRORS: dict[str, type[AwsError]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        ResourceNotFoundException,
        TooManyRequestsException,
        ServiceException,
        ThrottlingException,
        InvalidParameterValueException,
        InvalidEventPatternException,
        ProvisionedThroughputExceededException,
        InternalServerError,
    )
}
