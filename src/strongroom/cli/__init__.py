"""The `strongroom` command line."""

__all__: list[str] = []
