"""The event outbox: every committed ComplaintEvent is handed to registered consumers.

The timeline row is the outbox. Services write events inside their transaction; after commit the
ids go to `complaints.tasks.dispatch_events`, which calls every consumer with them. A periodic sweep
hands over events that were never dispatched (broker down, worker killed, process died between
commit and dispatch). Consumers therefore see an id more than once and in any order: each must be
idempotent. A consumer that raises makes the batch retry later; the others have still done their
part and will simply see the ids again.

Apps register consumers in their AppConfig.ready():

    from complaints.outbox import register_consumer
    register_consumer("analytics.summaries", update_summaries_for_events)

`handler(event_ids: list[int]) -> None` receives ids of committed events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

EventHandler = Callable[[list[int]], None]

_consumers: dict[str, EventHandler] = {}


def register_consumer(name: str, handler: EventHandler) -> None:
    """Register (or replace, by name) a consumer of committed complaint events."""
    _consumers[name] = handler


def unregister_consumer(name: str) -> None:
    _consumers.pop(name, None)


def registered_consumers() -> dict[str, EventHandler]:
    """Name -> handler, in registration order."""
    return dict(_consumers)


def run_consumers(event_ids: Sequence[int]) -> dict[str, Exception]:
    """Call every consumer with `event_ids`; returns {name: error} for those that raised."""
    ids = list(event_ids)
    failures: dict[str, Exception] = {}
    for name, handler in registered_consumers().items():
        try:
            handler(ids)
        except Exception as error:  # each consumer fails alone; the batch is retried for all
            failures[name] = error
    return failures
