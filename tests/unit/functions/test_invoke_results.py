"""A function's answer, as Lambda's Invoke gives it: payload, error document, log tail."""

from __future__ import annotations

import json
import logging

import pytest
from tests.unit.functions.packages import REQUEST_ID, invocation, package

from strongroom.functions import InvocationResult, invoke


def test_a_returned_dict_is_the_json_payload() -> None:
    result = invoke(
        invocation(
            """
            def lambda_handler(event, context):
                return {"step": event["Step"], "ok": True, "n": [1, 2.5, None]}
            """
        )
    )
    assert result.function_error is None
    assert json.loads(result.payload) == {"step": "createSecret", "ok": True, "n": [1, 2.5, None]}
    assert result.duration_ms > 0


def test_none_is_null_and_decimal_a_number_and_text_stays_unescaped() -> None:
    none = invoke(invocation("def lambda_handler(event, context):\n    return None\n"))
    assert (none.function_error, none.payload) == (None, b"null")
    numbers = invoke(
        invocation(
            """
            from decimal import Decimal
            def lambda_handler(event, context):
                return {"whole": Decimal("3"), "part": Decimal("2.5"), "word": "caf\u00e9"}
            """
        )
    )
    assert numbers.payload == '{"whole": 3, "part": 2.5, "word": "café"}'.encode()


def test_what_the_function_prints_never_reaches_the_payload() -> None:
    result = invoke(
        invocation(
            """
            import sys
            def lambda_handler(event, context):
                print('{"fake": "result"}')
                sys.stdout.flush()
                sys.stdout.buffer.write(b"R\\x00\\x00\\x00\\x02{}")
                sys.stdout.buffer.flush()
                print("to stderr", file=sys.stderr)
                return {"real": 1}
            """
        )
    )
    assert (result.function_error, json.loads(result.payload)) == (None, {"real": 1})
    assert '{"fake": "result"}' in result.log_tail
    assert "to stderr" in result.log_tail


def test_a_raised_exception_is_lambdas_error_document() -> None:
    result = invoke(
        invocation(
            """
            class RotationError(Exception):
                pass

            def lambda_handler(event, context):
                helper()

            def helper():
                raise RotationError("pending version is missing")
            """
        )
    )
    assert result.function_error == "Unhandled"
    document = json.loads(result.payload)
    assert document["errorType"] == "RotationError"
    assert document["errorMessage"] == "pending version is missing"
    assert document["requestId"] == REQUEST_ID
    trace = document["stackTrace"]
    assert len(trace) == 2
    assert 'lambda_function.py", line 6, in lambda_handler' in trace[0]
    assert 'raise RotationError("pending version is missing")' in trace[1]
    assert "bootstrap" not in "".join(trace)
    assert "[ERROR] RotationError: pending version is missing" in result.log_tail


def test_a_value_that_is_not_json_is_a_marshal_error() -> None:
    result = invoke(invocation("def lambda_handler(event, context):\n    return {1, 2}\n"))
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": REQUEST_ID,
        "stackTrace": [],
    }


def test_an_event_that_is_not_json_is_an_unmarshal_error_and_empty_is_an_empty_dict() -> None:
    source = "def lambda_handler(event, context):\n    return event\n"
    bad = invoke(invocation(source, event=b"{not json"))
    assert json.loads(bad.payload)["errorType"] == "Runtime.UnmarshalError"
    assert json.loads(bad.payload)["errorMessage"].startswith("Unable to unmarshal input: ")
    empty = invoke(invocation(source, event=b""))
    assert (empty.function_error, empty.payload) == (None, b"{}")


def test_a_response_over_six_megabytes_is_refused_as_lambda_refuses_it() -> None:
    result = invoke(invocation("def lambda_handler(event, context):\n    return 'x' * 7_000_000\n"))
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": (
            "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
        ),
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_a_dotted_handler_names_a_module_inside_a_package() -> None:
    code = package(
        {
            "rotation/__init__.py": "",
            "rotation/steps.py": "def handler(event, context):\n    return __name__\n",
        }
    )
    result = invoke(invocation("", handler="rotation.steps.handler", code=code))
    assert (result.function_error, result.payload) == (None, b'"rotation.steps"')


def test_every_line_is_logged_with_the_request_id_between_start_end_and_report(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.functions")
    result = invoke(
        invocation(
            """
            import logging
            logger = logging.getLogger()
            logger.setLevel(logging.INFO)
            def lambda_handler(event, context):
                print("setting the pending password")
                logger.info("through the root logger")
                return {}
            """
        )
    )
    lines = result.log_tail.splitlines()
    assert lines[0] == f"START RequestId: {REQUEST_ID} Version: $LATEST"
    assert lines[1] == "setting the pending password"
    assert lines[2].startswith("[INFO]\t") and lines[2].endswith(
        f"\t{REQUEST_ID}\tthrough the root logger"
    )
    assert lines[3] == f"END RequestId: {REQUEST_ID}"
    report = lines[4].split("\t")
    assert report[0] == f"REPORT RequestId: {REQUEST_ID}"
    assert [field.split(":")[0] for field in report[1:]] == [
        "Duration",
        "Billed Duration",
        "Memory Size",
        "Max Memory Used",
        "Init Duration",
    ]
    assert report[3] == "Memory Size: 128 MB"
    logged = [
        record.getMessage() for record in caplog.records if record.name == "strongroom.functions"
    ]
    assert logged[:2] == [
        f"[{REQUEST_ID}] START RequestId: {REQUEST_ID} Version: $LATEST",
        f"[{REQUEST_ID}] setting the pending password",
    ]
    assert logged[-1].startswith(f"[{REQUEST_ID}] REPORT RequestId: {REQUEST_ID}\t")


def test_output_without_end_keeps_the_log_and_memory_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.functions")
    result = invoke(
        invocation(
            """
            import sys
            def lambda_handler(event, context):
                line = "x" * 100 + "\\n"
                while True:
                    sys.stdout.write(line * 100)
            """,
            timeout_seconds=1.0,
        )
    )
    assert isinstance(result, InvocationResult)
    assert result.function_error == "Unhandled"
    assert len(result.log_tail.encode()) <= 4096
    assert result.log_tail.splitlines()[-1].startswith(f"REPORT RequestId: {REQUEST_ID}")
    logged = [record for record in caplog.records if record.name == "strongroom.functions"]
    assert sum(len(record.getMessage()) for record in logged) < 2 * 1024 * 1024
    assert any("the rest is not logged" in record.getMessage() for record in logged)
