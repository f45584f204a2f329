"""The only package that knows HTTP: the ASGI edge, the AWS wire protocols, the operator API."""

__all__: list[str] = []
