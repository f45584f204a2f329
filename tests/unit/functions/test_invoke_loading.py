"""A handler that cannot be loaded fails as AWS's Python runtime fails it."""

from __future__ import annotations

import json

from tests.unit.functions.packages import invocation

from strongroom.functions import invoke

HANDLER = "def lambda_handler(event, context):\n    return 1\n"


def error_of(**fields: object) -> dict[str, object]:
    source = str(fields.pop("source", HANDLER))
    result = invoke(invocation(source, **fields))  # type: ignore[arg-type]
    assert result.function_error == "Unhandled"
    document: dict[str, object] = json.loads(result.payload)
    assert f"[ERROR] {document['errorType']}" in result.log_tail
    return document


def test_a_module_that_is_not_there_is_an_import_module_error() -> None:
    assert error_of(handler="missing_module.lambda_handler") == {
        "errorMessage": (
            "Unable to import module 'missing_module': No module named 'missing_module'"
        ),
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_a_module_whose_import_fails_is_an_import_module_error() -> None:
    document = error_of(source="import psycopg9\n")
    assert document["errorType"] == "Runtime.ImportModuleError"
    assert document["errorMessage"] == (
        "Unable to import module 'lambda_function': No module named 'psycopg9'"
    )


def test_a_missing_function_is_handler_not_found() -> None:
    document = error_of(handler="lambda_function.other_handler")
    assert document["errorType"] == "Runtime.HandlerNotFound"
    assert document["errorMessage"] == "Handler 'other_handler' missing on module 'lambda_function'"


def test_a_handler_without_a_module_is_malformed() -> None:
    document = error_of(handler="lambda_handler")
    assert document["errorType"] == "Runtime.MalformedHandlerName"
    assert document["errorMessage"] == (
        "Bad handler 'lambda_handler': not enough values to unpack (expected 2, got 1)"
    )


def test_a_built_in_module_cannot_be_the_handler_module() -> None:
    document = error_of(handler="sys.exit")
    assert document["errorType"] == "Runtime.BuiltInModuleConflict"
    assert document["errorMessage"] == "Cannot use built-in module sys as a handler module"


def test_a_syntax_error_is_a_user_code_syntax_error() -> None:
    document = error_of(source="def lambda_handler(event, context)\n    return 1\n")
    assert document["errorType"] == "Runtime.UserCodeSyntaxError"
    assert str(document["errorMessage"]).startswith("Syntax error in module 'lambda_function': ")
    assert "lambda_function.py" in str(document["stackTrace"])


def test_an_exception_at_import_is_reported_with_its_own_type() -> None:
    document = error_of(source="raise KeyError('SECRETS_MANAGER_ENDPOINT')\n" + HANDLER)
    assert document["errorType"] == "KeyError"
    assert document["errorMessage"] == "'SECRETS_MANAGER_ENDPOINT'"
    assert any("lambda_function.py" in line for line in document["stackTrace"])  # type: ignore[attr-defined]
