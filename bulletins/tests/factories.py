"""factory_boy factories for bulletins, and helpers that publish through the services."""

from __future__ import annotations

import datetime
import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from bulletins.models import (
    Bulletin,
    BulletinHamlet,
    BulletinImage,
    Posting,
    ProcedureQuestion,
    Status,
    TargetMode,
    Theme,
)
from groups.models import Hamlet, ZaloGroup

# The smallest valid PNG (1×1), as binhyen.images writes it (so stored bytes equal it).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc````\x00\x00\x00\x05\x00\x01\xa5\xf6E@\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def png_file(name: str = "anh.png") -> io.BytesIO:
    handle = io.BytesIO(PNG)
    handle.name = name
    handle.size = len(PNG)  # type: ignore[attr-defined]
    return handle


class BulletinFactory(factory.django.DjangoModelFactory):
    """A bulletin row written directly (no event, no postings): for list and scope tests."""

    class Meta:
        model = Bulletin

    commune = factory.LazyAttribute(lambda o: o.author.commune)
    title = factory.Sequence(lambda n: f"Cảnh giác lừa đảo qua mạng số {n}")
    theme = Theme.CRIME_TRICKS
    body = "<p>Không bấm vào đường link lạ 🙏</p>"
    zalo_text = "Không bấm vào đường link lạ 🙏"
    status = Status.DRAFT
    target_mode = TargetMode.ALL


def reach(bulletin: Bulletin, *hamlets: Hamlet) -> Bulletin:
    """Target `hamlets` (mode "hamlets") and record the hamlets reached, as the services do."""
    bulletin.target_mode = TargetMode.HAMLETS
    bulletin.save(update_fields=["target_mode"])
    bulletin.target_hamlets.set(hamlets)
    BulletinHamlet.objects.bulk_create(
        [BulletinHamlet(bulletin=bulletin, hamlet=h) for h in hamlets]
    )
    return bulletin


def published(author: User, *hamlets: Hamlet, **fields: object) -> Bulletin:
    """A published bulletin reaching `hamlets`, with one pending posting per active group."""
    now = timezone.now()
    bulletin = BulletinFactory(
        author=author,
        status=Status.PUBLISHED,
        security_checked=True,
        published_at=now,
        **fields,
    )
    reach(bulletin, *hamlets)
    for group in ZaloGroup.objects.active().filter(hamlet__in=hamlets):
        PostingFactory(bulletin=bulletin, group=group, created_at=now)
    return bulletin


class PostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Posting

    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=24))


def add_image(bulletin: Bulletin) -> BulletinImage:
    image = BulletinImage(
        bulletin=bulletin, original_name="anh.png", content_type="image/png", size=len(PNG)
    )
    image.file.save("image.png", ContentFile(PNG), save=False)
    image.save()
    return image


def add_proof(posting: Posting) -> Posting:
    posting.proof_image.save("proof.png", ContentFile(PNG), save=True)
    return posting


class ProcedureQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureQuestion

    procedure = "id_card"
    count = 2
    date = factory.LazyFunction(timezone.localdate)
