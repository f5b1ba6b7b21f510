from django.core.management.base import BaseCommand

from accounts.push import new_vapid_keys


class Command(BaseCommand):
    help = (
        "Make the portal's VAPID key pair for Web Push and print it as lines for the .env file "
        "(make it once: a new pair makes every browser subscribe again)."
    )

    def handle(self, *args, **options) -> None:
        public, private = new_vapid_keys()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write("VAPID_SUBJECT=mailto:admin@example.org")
