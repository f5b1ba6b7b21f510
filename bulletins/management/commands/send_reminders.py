"""Run the reminder service by hand: the same digests, exactly once, as the beat task."""

from accounts.audit import AuditedCommand
from bulletins.services import bulletins_publish_due, reminders_send


class Command(AuditedCommand):
    help = "Send the posting reminder digests of the slot that has come (exactly once per slot)."

    def handle(self, *args: object, **options: object) -> None:
        published = bulletins_publish_due()
        run = reminders_send()
        self.stdout.write(
            f"Published {published} scheduled bulletin(s); sent {run.digests} digest(s) and "
            f"{run.escalations} escalation(s); {run.already_sent} already sent."
        )
