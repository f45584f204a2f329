"""IAM-style authorization: documents, conditions and evaluation (pure, stdlib only).

`parse_policy` checks a document's grammar; `Policy.from_document` compiles it once;
`evaluate(PolicySet, Request)` decides a request as AWS's policy evaluation logic does
(explicit deny, identity and resource policies, permissions boundaries, session policies),
and `access_denied_message` words a refusal as AWS does. The server's authorizer
(`services.iam.authorizer`) decides every request with it.
"""

from strongroom.policy.conditions import condition_matches
from strongroom.policy.document import PolicyGrammarError, parse_policy
from strongroom.policy.evaluation import (
    Decision,
    Policy,
    PolicySet,
    Verdict,
    access_denied_message,
    evaluate,
    statements_decide,
)
from strongroom.policy.matching import action_matches, principal_matches, resource_matches
from strongroom.policy.public_access import grants_public_access
from strongroom.policy.request import Request
from strongroom.policy.variables import substitute

__all__ = [
    "Decision",
    "Policy",
    "PolicyGrammarError",
    "PolicySet",
    "Request",
    "Verdict",
    "access_denied_message",
    "action_matches",
    "condition_matches",
    "evaluate",
    "grants_public_access",
    "parse_policy",
    "principal_matches",
    "resource_matches",
    "statements_decide",
    "substitute",
]
