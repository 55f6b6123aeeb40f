"""Member profiles: found or created from an order's buyer, created and edited
by staff, masked for readers below ``manage``, exported and erased."""
import re
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from plugins.orders.models import Checkout, Order
from portal import access, plugins
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import Address, IssuedCode, LevelChange, Member, MemberMerchant, MemberOrder, PointsEntry, Tag
from . import MembersError
from .levels import entry_level
from .scope import visible_codes

STAFF_CHANNEL = "portal"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
TAG = re.compile(r"^[\w\- ]{1,40}$")
MAX_TAGS = 20
ERASED = "~erased"


class InvalidMember(MembersError):
    """A profile field is wrong; ``field`` names it."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def actor_name(actor):
    return (getattr(actor, "email", None) or "system")[:120]


def phone_ref(phone):
    """A buyer without a customer reference is known by the digits of the phone."""
    digits = re.sub(r"\D", "", phone or "")
    return f"tel:{digits}" if digits else ""


def find_or_create(channel, customer_ref, buyer, now=None):
    """The member of ``(channel, customer_ref)``, created from the buyer
    snapshot (a ``Checkout``) when new; the contact details follow the newest
    order and each new shipping address is kept. None when the buyer has
    neither a reference nor a phone."""
    now = now or utcnow()
    ref = customer_ref or phone_ref(buyer.buyer_phone)
    if not ref:
        return None
    member = db.session.execute(select(Member).where(Member.channel == channel, Member.customer_ref == ref)
                                ).scalar_one_or_none()
    if member is None:
        member = Member(channel=channel, customer_ref=ref, created_at=now, review_due_at=now + timedelta(days=365),
                        level=entry_level())
        db.session.add(member)
    if member.erased_at is None:
        member.name, member.phone = buyer.buyer_name, buyer.buyer_phone
        member.email = buyer.buyer_email or member.email
        member.region = buyer.ship_region
        member.updated_at = now
        _keep_address(member, buyer, now)
    db.session.flush()
    return member


def _keep_address(member, buyer, now):
    for known in member.addresses:
        if (known.region, known.address) == (buyer.ship_region, buyer.ship_address):
            known.last_used_at = now
            return
    member.addresses.append(Address(name=buyer.buyer_name, phone=buyer.buyer_phone, region=buyer.ship_region,
                                    city=buyer.ship_city, district=buyer.ship_district, address=buyer.ship_address,
                                    postcode=buyer.ship_postcode, last_used_at=now))


def link_merchant(member_id, merchant_id):
    """Remember that the member bought from the merchant (its data scope)."""
    exists = db.session.get(MemberMerchant, (member_id, merchant_id))
    if exists is None:
        db.session.add(MemberMerchant(member_id=member_id, merchant_id=merchant_id))


# -- staff edits --------------------------------------------------------------------

def _text(data, field, limit, required=False):
    value = str(data.get(field) or "").replace("\x00", "").strip()
    if required and not value:
        raise InvalidMember(field, _("%(field)s is required.", field=field))
    if len(value) > limit:
        raise InvalidMember(field, _("%(field)s is longer than %(n)s characters.", field=field, n=limit))
    return value


def clean_profile(data):
    """The editable fields, checked; ``InvalidMember`` naming the field."""
    email = _text(data, "email", 254)
    if email and not EMAIL.match(email):
        raise InvalidMember("email", _("%(value)r is not an e-mail address.", value=email))
    region = _text(data, "region", 8).upper()
    if region and not REGION.match(region):
        raise InvalidMember("region", _("%(value)r is not an ISO country (CN) or subdivision (CN-GD) code.",
                                        value=region))
    return {"name": _text(data, "name", 120, required=True), "phone": _text(data, "phone", 40), "email": email,
            "region": region, "notes": _text(data, "notes", 4000),
            "marketing_consent": str(data.get("marketing_consent") or "").lower() in ("1", "on", "true", "yes"),
            "tags": clean_tags(data.get("tags"))}


def clean_tags(raw):
    """Tags from comma-separated text: trimmed, lower case, unique, at most 20."""
    tags = []
    for part in str(raw or "").split(","):
        tag = part.strip().lower()
        if not tag or tag in tags:
            continue
        if not TAG.match(tag):
            raise InvalidMember("tags", _("The tag %(tag)r may hold letters, digits, spaces and dashes only "
                                          "(at most 40).", tag=tag))
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidMember("tags", _("At most %(n)s tags.", n=MAX_TAGS))
    return tags


def create_member(actor, data, now=None):
    """A member staff add by hand (``members.member`` write); its reference is
    the one given, else the phone's digits. Audited."""
    access.require("members.member", "write", actor)
    now = now or utcnow()
    fields = clean_profile(data)
    ref = _text(data, "customer_ref", 64) or phone_ref(fields["phone"])
    if not ref:
        raise InvalidMember("customer_ref", _("Give a customer reference or a phone number."))
    if db.session.execute(select(Member.id).where(Member.channel == STAFF_CHANNEL, Member.customer_ref == ref)
                          ).first():
        raise InvalidMember("customer_ref", _("A member with the reference %(ref)s exists already.", ref=ref))
    member = Member(channel=STAFF_CHANNEL, customer_ref=ref, created_at=now, review_due_at=now + timedelta(days=365),
                    level=entry_level())
    db.session.add(member)
    _apply(member, fields, now)
    merchant_id = getattr(actor, "merchant_id", None)
    db.session.flush()
    if merchant_id is not None:  # so its own staff see the member they added
        link_merchant(member.id, merchant_id)
    record("members.member.create", target=f"member {member.id}", plugin="members", actor=actor,
           merchant_id=merchant_id, summary={"customer_ref": ref})
    return member


def update_member(actor, member, data, now=None):
    """Change a member's contact details, notes, tags and consent. Audited
    with the names of the changed fields (not their values: personal data)."""
    access.require("members.member", "write", actor)
    if member.erased_at is not None:
        raise MembersError(_("This member was erased; the profile cannot be edited."))
    now = now or utcnow()
    fields = clean_profile(data)
    before = {"name": member.name, "phone": member.phone, "email": member.email, "region": member.region,
              "notes": member.notes, "marketing_consent": member.marketing_consent,
              "tags": [t.tag for t in member.tags]}
    _apply(member, fields, now)
    changed = sorted(k for k, v in fields.items() if before[k] != v)
    record("members.member.update", target=f"member {member.id}", plugin="members", actor=actor,
           merchant_id=getattr(actor, "merchant_id", None), summary={"changed": changed})
    return member


def _apply(member, fields, now):
    if fields["marketing_consent"] != member.marketing_consent:
        member.consent_changed_at = now
    for key in ("name", "phone", "email", "region", "notes", "marketing_consent"):
        setattr(member, key, fields[key])
    wanted = fields["tags"]
    member.tags = [t for t in member.tags if t.tag in wanted] + \
        [Tag(tag=t) for t in wanted if t not in {x.tag for x in member.tags}]
    member.updated_at = now
    db.session.flush()


# -- masking, export and erasure ------------------------------------------------------

def mask_phone(phone):
    """``138****0000``: the first three and last four digits."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email):
    """``l***@example.test``."""
    if not email or "@" not in email:
        return "*" * len(email or "")
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def sees_contacts(user=None):
    """Phone and e-mail in full for ``members.member`` manage, masked below."""
    return access.has_level("members.member", "manage", user)


def export_member(actor, member):
    """Everything kept about one member, as a dict for a JSON download
    (``members.member`` manage). Audited."""
    access.require("members.member", "manage", actor)
    # a store's export holds the orders with that store only, as its pages show
    orders = db.session.execute(access.scoped(select(MemberOrder, Order.number, Order.state, Order.currency)
                                              .join(Order, Order.id == MemberOrder.order_id)
                                              .where(MemberOrder.member_id == member.id), MemberOrder, "read", actor)
                                .order_by(MemberOrder.placed_at)).all()
    points = db.session.execute(select(PointsEntry).where(PointsEntry.member_id == member.id)
                                .order_by(PointsEntry.id)).scalars()
    levels = db.session.execute(select(LevelChange).where(LevelChange.member_id == member.id)
                                .order_by(LevelChange.id)).scalars()
    codes = db.session.execute(visible_codes(select(IssuedCode).where(IssuedCode.member_id == member.id), actor)
                               .order_by(IssuedCode.id)).scalars()
    record("members.member.export", target=f"member {member.id}", plugin="members", actor=actor,
           merchant_id=getattr(actor, "merchant_id", None))
    return {
        "member": {"id": member.id, "channel": member.channel, "customer_ref": member.customer_ref,
                   "name": member.name, "phone": member.phone, "email": member.email, "region": member.region,
                   "notes": member.notes, "marketing_consent": member.marketing_consent,
                   "level": member.level.code if member.level else None, "growth": member.growth,
                   "points_balance": member.points_balance, "created_at": member.created_at.isoformat(),
                   "tags": [t.tag for t in member.tags]},
        "addresses": [{"name": a.name, "phone": a.phone, "region": a.region, "city": a.city,
                       "district": a.district, "address": a.address, "postcode": a.postcode}
                      for a in member.addresses],
        "orders": [{"number": number, "state": state, "placed_at": link.placed_at.isoformat(),
                    "total": str(link.total), "currency": currency} for link, number, state, currency in orders],
        "points": [{"kind": e.kind, "points": e.points, "balance_after": e.balance_after, "reason": e.reason,
                    "at": e.created_at.isoformat()} for e in points],
        "levels": [{"from": c.from_level.code if c.from_level else None,
                    "to": c.to_level.code if c.to_level else None, "reason": c.reason,
                    "at": c.created_at.isoformat()} for c in levels],
        "codes": [{"offer": c.offer_label, "code": c.code, "segment": c.segment_name,
                   "at": c.issued_at.isoformat()} for c in codes],
    }


def erase_member(actor, member, now=None):
    """Anonymise the person on request (``members.member`` manage): the
    profile's contact details, notes, tags and addresses, and the buyer
    details on the member's orders, are wiped, and other plugins forget
    what they tied to the person's reference (``members_member_erased``);
    the orders, their lines, amounts and the points and level history stay,
    so every figure still adds up. Audited; cannot be undone."""
    access.require("members.member", "manage", actor)
    if member.erased_at is not None:
        raise MembersError(_("This member was erased already."))
    now = now or utcnow()
    order_ids = select(MemberOrder.order_id).where(MemberOrder.member_id == member.id)
    checkout_ids = select(Order.checkout_id).where(Order.id.in_(order_ids))
    db.session.execute(update(Checkout).where(Checkout.id.in_(checkout_ids)).values(
        buyer_name=_("Erased member"), buyer_phone="", buyer_email="", customer_ref="", ship_address="-",
        ship_city="", ship_district="", ship_postcode=""), execution_options={"synchronize_session": False})
    # what other plugins tied to the person's reference (codes issued to them) goes with it
    plugins.call("members_member_erased", channel=member.channel, customer_ref=member.customer_ref)
    member.name, member.phone, member.email, member.notes = _("Erased member"), "", "", ""
    member.customer_ref = f"{ERASED}-{member.id}"  # a new order under the old reference makes a new profile
    member.marketing_consent, member.consent_changed_at = False, now
    member.tags, member.addresses = [], []
    member.erased_at = member.updated_at = now
    db.session.flush()
    db.session.expire_all()
    record("members.member.erase", target=f"member {member.id}", plugin="members", actor=actor,
           merchant_id=getattr(actor, "merchant_id", None))
    return member
