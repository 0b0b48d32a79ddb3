from collections.abc import Sequence


class BaseSmsBackend:
    """A backend delivers messages or raises; there is no fail_silently."""

    def send_messages(self, messages: Sequence) -> None:  # pragma: no cover - interface
        raise NotImplementedError
