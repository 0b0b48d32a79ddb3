"""Where complaint events meet notifications.

Services call `event_recorded` after their transaction commits, once per timeline event. The
notifications issue fills this in (recipients per event, channels, Celery delivery); until then
the timeline itself is the record of what happened and nothing is sent.
"""


def event_recorded(*, event_id: int) -> None:
    """Hook called on commit for each new ComplaintEvent."""
    return None
