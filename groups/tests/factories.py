"""factory_boy factories for the register. Phones are synthetic: 09x 555 xxxx numbers."""

import datetime

import factory

from groups.models import Commune, Hamlet, Member, PeopleGroup, ZaloGroup


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:04d}")
    name = factory.Sequence(lambda n: f"Xã Thử {n}")
    province = "Tỉnh Đồng Nai"


class HamletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hamlet

    commune = factory.SubFactory(CommuneFactory)
    code = factory.Sequence(lambda n: f"H{n:04d}")
    name = factory.Sequence(lambda n: f"Ấp Thử {n}")
    households = 100


class PeopleGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PeopleGroup

    hamlet = factory.SubFactory(HamletFactory)
    name = factory.Sequence(lambda n: f"Tổ {n}")
    households = 20


class ZaloGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZaloGroup

    hamlet = factory.SubFactory(HamletFactory)
    code = factory.Sequence(lambda n: f"nhom-{n}")
    name = factory.LazyAttribute(lambda o: f"Zalo kết nối bình yên {o.hamlet.name}")
    invite_link = factory.Sequence(lambda n: f"https://zalo.me/g/test{n:04d}")
    created_on = datetime.date(2025, 9, 1)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    group = factory.SubFactory(ZaloGroupFactory)
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    phone = factory.Sequence(lambda n: f"+8491555{n % 10000:04d}")
    role = Member.Role.HOUSEHOLD
    household = factory.Sequence(lambda n: f"Số {n}, tổ 1")
    joined_on = datetime.date(2025, 9, 15)
