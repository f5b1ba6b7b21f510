from celery import shared_task

from .services import member_counts_record


@shared_task(name="groups.record_member_counts")
def record_member_counts() -> int:
    """Daily: refresh this month's member count per group (see member_counts_record)."""
    return member_counts_record()
