"""The SSM operations AWS groups as Parameter Store: the only ones Strongroom serves.

Written out here, not read from the service, so that a test can tell the service serving
one too many or one too few; every other operation of the `ssm` model is refused.
"""

from __future__ import annotations

PARAMETER_STORE = frozenset(
    {
        "PutParameter",
        "GetParameter",
        "GetParameters",
        "GetParametersByPath",
        "GetParameterHistory",
        "DescribeParameters",
        "DeleteParameter",
        "DeleteParameters",
        "LabelParameterVersion",
        "UnlabelParameterVersion",
        "AddTagsToResource",
        "ListTagsForResource",
        "RemoveTagsFromResource",
    }
)
