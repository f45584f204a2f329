"""AWS's documented policy decisions, replayed through the engine.

Each case in tests/vectors/policy/aws-documented-cases.json restates one example from
AWS's documentation (page and example named in the case, README.md lists the pages): the
policies, the request and the decision AWS documents. Every policy goes through
`parse_policy` (identity, boundary and session policies as identity policies, the
resource policy as a resource policy), so a case is also a policy AWS would accept.

A case the engine gets wrong stays in the table and is listed in `ENGINE_BUGS` with the
documented rule: it runs as a strict xfail, so the bug stays visible and the entry must
go once the engine is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from strongroom.policy.document import parse_policy
from strongroom.policy.evaluation import Decision, Policy, PolicySet, evaluate
from strongroom.policy.request import Request

VECTORS = Path(__file__).parents[2] / "vectors" / "policy" / "aws-documented-cases.json"

# case id -> the documented rule the engine breaks (remove when the engine is fixed).
ENGINE_BUGS: dict[str, str] = {
    "fed-resource-policy-names-iam-user": (
        "Session policies: a resource policy naming the IAM user ARN that called "
        "GetFederationToken applies to its federated-user session (limited by the session "
        "policy); matching.principal_grant has no way to link a federated-user ARN to its "
        "IAM user (Request carries no such key), so the grant is missed"
    ),
}


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
    return cases


def _compile(document: dict[str, Any], *, resource_policy: bool) -> Policy:
    text = json.dumps(document)
    return Policy.from_document(parse_policy(text, resource_policy=resource_policy))


def _identity_kind(documents: list[dict[str, Any]] | None) -> tuple[Policy, ...] | None:
    if documents is None:
        return None
    return tuple(_compile(d, resource_policy=False) for d in documents)


def _policy_set(policies: dict[str, Any]) -> PolicySet:
    resource = policies["resource"]
    return PolicySet(
        identity=_identity_kind(policies["identity"]) or (),
        resource=None if resource is None else _compile(resource, resource_policy=True),
        boundary=_identity_kind(policies["boundary"]),
        session=_identity_kind(policies["session"]),
        is_root=policies["is_root"],
        resource_required=policies["resource_required"],
    )


def _request(raw: dict[str, Any]) -> Request:
    return Request(
        action=raw["action"],
        resource=raw["resource"],
        principal_arn=raw["principal_arn"],
        principal_account=raw["principal_account"],
        context={key: tuple(values) for key, values in raw["context"].items()},
    )


def _params() -> list[Any]:
    params = []
    for case in _cases():
        marks = []
        if case["id"] in ENGINE_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=ENGINE_BUGS[case["id"]]))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


def test_table_is_well_formed() -> None:
    cases = _cases()
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert set(ENGINE_BUGS) <= set(ids), "ENGINE_BUGS names a case that is not in the table"
    for case in cases:
        assert case["expected"] in Decision.__members__, case["id"]
        assert case["source"]["page"] and case["source"]["example"], case["id"]


@pytest.mark.parametrize("case", _params())
def test_documented_decision(case: dict[str, Any]) -> None:
    verdict = evaluate(_policy_set(case["policies"]), _request(case["request"]))
    assert verdict.decision is Decision[case["expected"]], case["source"]
    if "denied_by" in case:
        assert verdict.denied_by == case["denied_by"], case["source"]
