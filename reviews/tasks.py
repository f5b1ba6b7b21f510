from celery import Task, shared_task

from .services import build_run, builds_requeue_stale, reviews_prepare_yearly


@shared_task(name="reviews.build_review_documents", bind=True)
def build_review_documents(self: Task, build_id: int) -> str | None:
    """Build a review's PDF, DOCX and XLSX (claimed once: a second message does nothing).

    A message the broker gives back because the worker running it died (acks late + reject on
    worker lost: it comes marked "redelivered") finds its build "running" by a process that no
    longer exists, and takes it over: the documents are built, once, instead of the build
    hanging until the hourly scan fails it as abandoned (binhyen/tests/test_faults.py)."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    build = build_run(build_id, resume=redelivered)
    return build.status if build else None


@shared_task(name="reviews.prepare_yearly_reviews")
def prepare_yearly_reviews() -> int:
    """Yearly (1 December by default): the draft of the ending period for every commune."""
    return len(reviews_prepare_yearly())


@shared_task(name="reviews.requeue_stale_builds")
def requeue_stale_builds() -> int:
    """Hourly: builds queued while the broker was down are sent again."""
    return builds_requeue_stale()
