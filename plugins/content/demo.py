"""The content demo (``flask portal demo``): a platform homepage with six
floors (banners, category navigation, top sellers, a brand wall, campaign
blocks, rich text), a homepage for every demo merchant, and two platform
campaign pages (one running, one coming), all built and published through
the services; then two weeks of impressions and clicks. Banner pictures are
drawn here and stored through ``portal.uploads`` like any upload."""
import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from plugins.catalog.models import SHELF_ON, Brand, Category, Product
from portal.extensions import db
from portal.models import utcnow

from .models import (BANNER, BRAND_WALL, CAMPAIGN_BLOCK, CATEGORY_NAV, PRODUCT_GRID, RICH_TEXT, RULE_TOP_SELLERS,
                     Page, SlotStat)
from .services import floors, pages, publishing

SEED = 20261126
COLOURS = [(214, 69, 65), (38, 166, 91), (52, 152, 219), (243, 156, 18), (142, 68, 173)]


def load_demo(merchants, echo):
    """Create and publish the demo pages; nothing when pages exist already."""
    if db.session.execute(select(Page.id).limit(1)).first() is not None:
        echo("Content: pages exist already; no demo pages were added.")
        return
    rng = random.Random(SEED)
    now = utcnow()
    campaigns = [_campaign("spring-sale", "Spring sale", now - timedelta(days=3), now + timedelta(days=11), rng),
                 _campaign("double-eleven", "Double Eleven", now + timedelta(days=20), now + timedelta(days=23), rng)]
    home = _platform_home(rng, campaigns)
    stores = [_store_home(m, rng) for m in merchants]
    _stats(rng, [home] + [s for s in stores if s is not None], now)
    echo(f"Content: a platform homepage with {len(home.floors)} floors, {len([s for s in stores if s])} store "
         f"homepages and {len(campaigns)} campaign pages, published.")


def _banner_file(rng, label, size=(1200, 400)):
    """A banner picture: a colour field with a lighter band, as an upload."""
    colour = rng.choice(COLOURS)
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, c + 60) for c in colour)
    draw.rectangle([0, size[1] * 2 // 3, size[0], size[1]], fill=light)
    draw.text((40, 40), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return FileStorage(out, filename=f"{label.lower().replace(' ', '-')}.png", content_type="image/png")


def _on_shelf(merchant_id=None, limit=8, rng=None):
    query = select(Product.id).where(Product.shelf_status == SHELF_ON).order_by(Product.id)
    if merchant_id is not None:
        query = query.where(Product.merchant_id == merchant_id)
    ids = list(db.session.execute(query).scalars())
    if rng is not None:
        rng.shuffle(ids)
    return ids[:limit]


def _campaign(slug, title, starts, ends, rng):
    page = pages.create_campaign(None, None, {"title": title, "slug": slug, "starts_at": starts, "ends_at": ends})
    banner = floors.add_floor(None, page, BANNER, title)
    floors.add_slot(None, banner, {"link_type": "url", "url": f"https://shop.example.com/{slug}", "title": title},
                    _banner_file(rng, title))
    grid = floors.add_floor(None, page, PRODUCT_GRID, "Deals")
    for product_id in _on_shelf(limit=6, rng=rng):
        floors.add_slot(None, grid, {"link_type": "product", "link_id": product_id})
        pages.add_product(None, page, product_id)
    publishing.publish(None, page, "Demo")
    return page


def _platform_home(rng, campaigns):
    page = pages.ensure_homepage(None, None)
    banners = floors.add_floor(None, page, BANNER, "Featured")
    for campaign in campaigns:
        floors.add_slot(None, banners, {"link_type": "campaign", "link_id": campaign.id, "title": campaign.title},
                        _banner_file(rng, campaign.title))
    roots = db.session.execute(select(Category).where(Category.parent_id.is_(None), Category.active.is_(True))
                               .order_by(Category.position, Category.id).limit(8)).scalars().all()
    nav = floors.add_floor(None, page, CATEGORY_NAV, "Shop by category")
    for category in roots:
        floors.add_slot(None, nav, {"link_type": "category", "link_id": category.id})
    top = floors.add_floor(None, page, PRODUCT_GRID, "Top sellers")
    if roots:
        floors.update_floor(None, top, {"title": "Top sellers", "rule": RULE_TOP_SELLERS,
                                        "rule_category_id": roots[0].id, "item_limit": 8})
    brands = db.session.execute(select(Brand).where(Brand.active.is_(True)).order_by(Brand.id).limit(8)).scalars()
    wall = floors.add_floor(None, page, BRAND_WALL, "Brands we love")
    for brand in brands:
        floors.add_slot(None, wall, {"link_type": "brand", "link_id": brand.id})
    block = floors.add_floor(None, page, CAMPAIGN_BLOCK, "Campaigns")
    for campaign in campaigns:
        floors.add_slot(None, block, {"link_type": "campaign", "link_id": campaign.id, "title": campaign.title})
    text = floors.add_floor(None, page, RICH_TEXT, "Free returns")
    floors.update_floor(None, text, {"title": "Free returns", "body_html":
                                     "<p><strong>Free returns within 7 days</strong> on every order.</p>"})
    publishing.publish(None, page, "Demo")
    return page


def _store_home(merchant, rng):
    products = _on_shelf(merchant.id, limit=8, rng=rng)
    if not products:
        return None
    page = pages.ensure_homepage(None, merchant.id)
    banner = floors.add_floor(None, page, BANNER, merchant.name)
    floors.add_slot(None, banner, {"link_type": "product", "link_id": products[0], "title": merchant.name},
                    _banner_file(rng, merchant.name))
    grid = floors.add_floor(None, page, PRODUCT_GRID, "New arrivals")
    for product_id in products:
        floors.add_slot(None, grid, {"link_type": "product", "link_id": product_id})
    text = floors.add_floor(None, page, RICH_TEXT, "About us")
    floors.update_floor(None, text, {"title": "About us", "body_html": f"<p>Welcome to {merchant.name}.</p>"})
    publishing.publish(None, page, "Demo")
    return page


def _stats(rng, homepages, now):
    """Two weeks of impressions and clicks for every published slot."""
    for page in homepages:
        for floor in page.floors:
            keys = [s.key for s in floor.slots] or [""]
            for days_ago in range(14):
                day = (now - timedelta(days=days_ago)).date()
                for key in keys:
                    shown = rng.randint(200, 2000)
                    db.session.add(SlotStat(page_id=page.id, merchant_id=page.merchant_id, day=day,
                                            floor_key=floor.key, slot_key=key, impressions=shown,
                                            clicks=rng.randint(0, shown // 10)))
    db.session.flush()
