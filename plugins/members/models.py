"""Members tables (prefix ``members_``).

- ``Level``: a rung of the level ladder: the growth it takes (``threshold``)
  and its privileges (a discount in percent, free shipping, a points multiplier).
- ``Member``: one buyer, found by ``(channel, customer_ref)``. Contact details,
  consent, level and growth, the points balance (never negative: a CHECK and
  the conditional update in ``services.points``), order figures kept in step
  by the order events and recomputed with the RFM scores by a job.
- ``MemberMerchant``: the merchants a member bought from: a merchant's staff
  see those members only (the data scope).
- ``MemberOrder``: the link of an order to its member, with the growth and
  points the order earned and spent (so a refund or a cancel gives back what
  that order took).
- ``Tag``, ``Address``: a member's tags and the addresses seen on its orders.
- ``PointsEntry``: the append-only points ledger; ``balance_after`` is the
  balance once the entry was written.
- ``LevelChange``: the history of a member's levels.
- ``Segment``: rules (JSON) selecting members, owned by a merchant or the platform.
- ``IssuedCode``: a code another plugin issued to a member for targeted
  marketing (a coupon of the promotions), from which segment, when and by
  whom; ``issue_no`` counts a member's codes of one offer, so issuing the same
  offer twice never gives a member a second code unless staff ask for it.
"""
from sqlalchemy import CheckConstraint, Index, UniqueConstraint

from portal.extensions import db
from portal.i18n import N_
from portal.models import utcnow

MONEY = db.Numeric(18, 4)

# ledger kinds
EARN, REVERSE, SPEND, RETURN, EXPIRE, ADJUST = "earn", "reverse", "spend", "return", "expire", "adjust"
ENTRY_KINDS = {EARN: N_("earned"), REVERSE: N_("reversed on refund"), SPEND: N_("spent"),
               RETURN: N_("given back on cancel"), EXPIRE: N_("expired"), ADJUST: N_("adjusted by staff")}
# why a level changed
UPGRADE, REVIEW, STAFF = "upgrade", "review", "staff"
CHANGE_REASONS = {UPGRADE: N_("upgrade"), REVIEW: N_("yearly review"), STAFF: N_("set by staff")}


class Level(db.Model):
    __tablename__ = "members_level"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(80), nullable=False)
    threshold = db.Column(db.Integer, nullable=False, unique=True)
    discount_percent = db.Column(db.Numeric(5, 2), nullable=False, default=0)
    free_shipping = db.Column(db.Boolean, nullable=False, default=False)
    points_multiplier = db.Column(db.Numeric(5, 2), nullable=False, default=1)

    __table_args__ = (
        CheckConstraint("threshold >= 0", name="ck_members_level_threshold"),
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="ck_members_level_discount"),
        CheckConstraint("points_multiplier >= 0", name="ck_members_level_multiplier"),
    )

    def __str__(self):
        return self.name


class Member(db.Model):
    __tablename__ = "members_member"

    id = db.Column(db.Integer, primary_key=True)
    channel = db.Column(db.String(32), nullable=False, default="portal")
    customer_ref = db.Column(db.String(64), nullable=False)
    name = db.Column(db.String(120), nullable=False, default="")
    phone = db.Column(db.String(40), nullable=False, default="")
    email = db.Column(db.String(254), nullable=False, default="")
    region = db.Column(db.String(8), nullable=False, default="")
    notes = db.Column(db.Text, nullable=False, default="")
    marketing_consent = db.Column(db.Boolean, nullable=False, default=False)
    consent_changed_at = db.Column(db.DateTime)
    level_id = db.Column(db.Integer, db.ForeignKey("members_level.id"))
    growth = db.Column(db.Integer, nullable=False, default=0)  # since the last yearly review
    review_due_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    points_balance = db.Column(db.Integer, nullable=False, default=0)
    orders_count = db.Column(db.Integer, nullable=False, default=0)
    total_spent = db.Column(MONEY, nullable=False, default=0)
    first_order_at = db.Column(db.DateTime)
    last_order_at = db.Column(db.DateTime)
    rfm_r = db.Column(db.SmallInteger)
    rfm_f = db.Column(db.SmallInteger)
    rfm_m = db.Column(db.SmallInteger)
    rfm_group = db.Column(db.String(24))
    erased_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    level = db.relationship(Level)
    tags = db.relationship("Tag", order_by="Tag.tag", cascade="all, delete-orphan")
    addresses = db.relationship("Address", order_by="Address.id.desc()", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("channel", "customer_ref", name="uq_members_member_ref"),
        CheckConstraint("points_balance >= 0", name="ck_members_member_points"),
        Index("ix_members_member_level", "level_id", "id"),
        Index("ix_members_member_rfm", "rfm_group", "id"),
        Index("ix_members_member_name", "name", "id"),
        Index("ix_members_member_phone", "phone"),
        # the list's search by reference alone (the unique key leads with the channel)
        Index("ix_members_member_customer_ref", "customer_ref"),
        # by last order; segments by recency and number of orders are counted from the index alone
        Index("ix_members_member_last_order", "last_order_at", "orders_count", "erased_at"),
        # a level's members by what they spent: the list reads one page of it in order
        Index("ix_members_member_level_spent", "level_id", "total_spent", "id"),
    )

    def __str__(self):
        return self.name or self.customer_ref


class MemberMerchant(db.Model):
    __tablename__ = "members_member_merchant"

    member_id = db.Column(db.Integer, db.ForeignKey("members_member.id"), primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), primary_key=True)

    __table_args__ = (Index("ix_members_member_merchant_merchant", "merchant_id", "member_id"),)


class MemberOrder(db.Model):
    __tablename__ = "members_order"

    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("members_member.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    placed_at = db.Column(db.DateTime, nullable=False)
    total = db.Column(MONEY, nullable=False)
    cancelled = db.Column(db.Boolean, nullable=False, default=False)
    refunded = db.Column(MONEY, nullable=False, default=0)
    growth = db.Column(db.Integer, nullable=False, default=0)
    points_earned = db.Column(db.Integer, nullable=False, default=0)
    points_spent = db.Column(db.Integer, nullable=False, default=0)
    points_reversed = db.Column(db.Integer, nullable=False, default=0)

    order = db.relationship("Order")
    member = db.relationship(Member)

    __table_args__ = (Index("ix_members_order_member", "member_id", "placed_at"),)


class Tag(db.Model):
    __tablename__ = "members_tag"

    member_id = db.Column(db.Integer, db.ForeignKey("members_member.id"), primary_key=True)
    tag = db.Column(db.String(40), primary_key=True)

    __table_args__ = (Index("ix_members_tag_tag", "tag", "member_id"),)


class Address(db.Model):
    __tablename__ = "members_address"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("members_member.id"), nullable=False, index=True)
    name = db.Column(db.String(120), nullable=False, default="")
    phone = db.Column(db.String(40), nullable=False, default="")
    region = db.Column(db.String(8), nullable=False)
    city = db.Column(db.String(100), nullable=False, default="")
    district = db.Column(db.String(100), nullable=False, default="")
    address = db.Column(db.String(500), nullable=False)
    postcode = db.Column(db.String(20), nullable=False, default="")
    last_used_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return ", ".join(p for p in (self.address, self.district, self.city, self.postcode, self.region) if p)


class PointsEntry(db.Model):
    __tablename__ = "members_points_entry"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("members_member.id"), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    points = db.Column(db.Integer, nullable=False)
    balance_after = db.Column(db.Integer, nullable=False)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"))
    reason = db.Column(db.String(300), nullable=False, default="")
    actor = db.Column(db.String(120), nullable=False, default="system")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    order = db.relationship("Order")

    __table_args__ = (
        Index("ix_members_points_member", "member_id", "id"),
        CheckConstraint("balance_after >= 0", name="ck_members_points_balance"),
    )


class LevelChange(db.Model):
    __tablename__ = "members_level_change"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("members_member.id"), nullable=False, index=True)
    from_level_id = db.Column(db.Integer, db.ForeignKey("members_level.id"))
    to_level_id = db.Column(db.Integer, db.ForeignKey("members_level.id"))
    reason = db.Column(db.String(16), nullable=False)
    growth = db.Column(db.Integer, nullable=False, default=0)
    actor = db.Column(db.String(120), nullable=False, default="system")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    from_level = db.relationship(Level, foreign_keys=[from_level_id])
    to_level = db.relationship(Level, foreign_keys=[to_level_id])


class Segment(db.Model):
    __tablename__ = "members_segment"

    id = db.Column(db.Integer, primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))  # None: the platform's
    name = db.Column(db.String(120), nullable=False)
    rules = db.Column(db.Text, nullable=False, default="{}")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return self.name


class IssuedCode(db.Model):
    __tablename__ = "members_issued_code"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("members_member.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))  # the segment's store; None: platform
    segment_id = db.Column(db.Integer, db.ForeignKey("members_segment.id", ondelete="SET NULL"))
    segment_name = db.Column(db.String(120), nullable=False, default="")
    offer_key = db.Column(db.String(80), nullable=False)  # the offering plugin's key: "promotions:12"
    offer_label = db.Column(db.String(200), nullable=False, default="")
    code = db.Column(db.String(64), nullable=False)
    issue_no = db.Column(db.Integer, nullable=False, default=1)
    issued_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    actor = db.Column(db.String(120), nullable=False, default="system")

    __table_args__ = (
        UniqueConstraint("member_id", "offer_key", "issue_no", name="uq_members_issued_code_once"),
        Index("ix_members_issued_code_offer", "offer_key", "member_id"),
    )


MODELS = [Level, Member, MemberMerchant, MemberOrder, Tag, Address, PointsEntry, LevelChange, Segment, IssuedCode]
