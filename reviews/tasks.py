from celery import shared_task

from .services import build_run, builds_requeue_stale, reviews_prepare_yearly


@shared_task(name="reviews.build_review_documents")
def build_review_documents(build_id: int) -> str | None:
    """Build a review's PDF, DOCX and XLSX (claimed once: a redelivery does nothing)."""
    build = build_run(build_id)
    return build.status if build else None


@shared_task(name="reviews.prepare_yearly_reviews")
def prepare_yearly_reviews() -> int:
    """Yearly (1 December by default): the draft of the ending period for every commune."""
    return len(reviews_prepare_yearly())


@shared_task(name="reviews.requeue_stale_builds")
def requeue_stale_builds() -> int:
    """Hourly: builds queued while the broker was down are sent again."""
    return builds_requeue_stale()
