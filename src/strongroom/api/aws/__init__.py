"""The AWS wire protocols: SigV4, the JSON protocol, botocore models, errors on the wire."""

__all__: list[str] = []
