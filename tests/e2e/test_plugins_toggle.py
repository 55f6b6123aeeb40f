"""A platform admin switches a plugin off on the Plugins page (confirming the
dialog), its menu entry disappears; switched on again, the entry is back."""
from importlib.metadata import entry_points

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

INSTALLED = {ep.name for ep in entry_points(group="portal.plugins")}


def menu_entries(page, plugin):
    """Links of the main menu that lead into the plugin's pages."""
    return page.locator(f'#main-menu a[href^="/{plugin}/"]')


def toggle(page, plugin):
    page.click(f'[data-testid="toggle-{plugin}"]')
    # the answer asks HTMX to reload the page, so the menu is rebuilt
    page.wait_for_load_state("load")


@pytest.mark.parametrize("plugin", ["permissions", "hello"])
def test_switch_plugin_off_and_on(signed_in, server, screenshot, plugin):
    if plugin not in INSTALLED:
        pytest.skip(f"the {plugin!r} plugin is not installed (make test installs tests/thirdparty)")
    page = signed_in
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.goto(server + "/plugins/")
    row = page.locator(f"#plugin-{plugin}")
    assert row.locator(".badge").inner_text() == "On"
    assert menu_entries(page, plugin).count() > 0, f"{plugin} has no menu entry to lose"

    with page.expect_navigation():
        toggle(page, plugin)
    assert len(dialogs) == 1 and "off" in dialogs[0]
    assert page.locator(f"#plugin-{plugin} .badge").inner_text() == "Off"
    assert menu_entries(page, plugin).count() == 0
    screenshot(f"plugins-{plugin}-off")
    # its pages answer 404 while it is off
    assert page.request.get(f"{server}/{plugin}/").status == 404

    with page.expect_navigation():
        toggle(page, plugin)
    assert len(dialogs) == 1, "switching on asks no confirmation"
    assert page.locator(f"#plugin-{plugin} .badge").inner_text() == "On"
    assert menu_entries(page, plugin).count() > 0
    screenshot(f"plugins-{plugin}-on")
