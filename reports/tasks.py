from celery import shared_task

from .services import informants_erase_expired


@shared_task(name="reports.erase_expired_informants")
def erase_expired_informants() -> int:
    """Daily: erase informant identities kept past their commune's retention period."""
    return informants_erase_expired()
