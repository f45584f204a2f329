"""Secret rotation. The built-in rotation functions live in `strongroom.rotation.builtin`."""

__all__: list[str] = []
