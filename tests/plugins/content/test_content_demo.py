"""The content demo: a published platform homepage with six floors of six
kinds, a published homepage per demo merchant, two platform campaign pages
(one running, one coming) and counts for the clicks page; a second run adds
nothing."""
import json

from sqlalchemy import func, select

from plugins.content.models import CAMPAIGN, FLOOR_KINDS, HOME, Page, SlotStat
from plugins.content.services.storefront import live_page, resolve
from portal import demo as portal_demo
from portal.models import Merchant, utcnow


def test_the_demo_pages(db, client):
    lines = []
    assert portal_demo.load_demo(echo=lines.append)
    assert any(line.startswith("Content:") for line in lines)
    platform = db.session.execute(select(Page).where(Page.kind == HOME, Page.merchant_id.is_(None))).scalar_one()
    assert platform.live_version is not None and not platform.has_unpublished_changes
    assert sorted(f.kind for f in platform.floors) == sorted(FLOOR_KINDS)
    body = client.get("/content/api/v1/home").get_json()
    assert len(body["floors"]) == 6
    top = next(f for f in body["floors"] if f["type"] == "product_grid")
    assert top["source"] == "sales" and top["items"]  # ranked from the demo orders
    merchants = db.session.execute(select(Merchant.id)).scalars().all()
    homes = db.session.execute(select(Page.merchant_id).where(Page.kind == HOME, Page.merchant_id.is_not(None),
                                                              Page.live_version_id.is_not(None))).scalars().all()
    assert sorted(homes) == sorted(merchants)
    campaigns = db.session.execute(select(Page).where(Page.kind == CAMPAIGN)).scalars().all()
    assert len(campaigns) == 2 and all(p.live_version for p in campaigns)
    running = [p.slug for p in campaigns if live_page(CAMPAIGN, None, p.slug) is not None]
    assert running == ["spring-sale"]
    spring = next(p for p in campaigns if p.slug == "spring-sale")
    assert resolve(spring, json.loads(spring.live_version.snapshot), utcnow())["products"]
    assert db.session.execute(select(func.count()).select_from(SlotStat)).scalar() > 0

    pages_before = db.session.execute(select(func.count()).select_from(Page)).scalar()
    portal_demo.load_demo(echo=lines.append)
    assert db.session.execute(select(func.count()).select_from(Page)).scalar() == pages_before
