"""The members installed without the promotions and the logistics: they
import neither, so orders are priced and linked, a segment's page has no
issuing action (its address answers 404) and erasure still works."""
import pytest

from plugins.members.services.profiles import erase_member
from plugins.members.services.segments import save_segment
from tests.conftest import create_user
from tests.core.plugin_fakes import make_app_with
from tests.plugins.members.helpers import member_of, place_for

ALONE = ("permissions", "catalog", "inventory", "orders", "members")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The members with only what they require."""
    return make_app_with(tmp_path_factory, [], installed=ALONE, suffix="members_alone")


def test_without_promotions_and_logistics_the_members_still_work(app, store, ladder, client, login, db):
    assert "promotions" not in app.extensions["portal.plugins"].plugins
    member = member_of(place_for(store, "AL-1"))
    member.marketing_consent = True
    admin = login(create_user("merchant_admin", store.m))
    segment = save_segment(admin, "Everyone", {})
    page = client.get(f"/members/segments/{segment.id}")
    assert page.status_code == 200 and 'data-testid="issue-section"' not in page.get_data(as_text=True)
    assert client.get(f"/members/segments/{segment.id}/issue?offer=promotions:1").status_code == 404
    erase_member(create_user("platform_admin"), member)
    assert member.erased_at is not None
