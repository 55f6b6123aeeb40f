"""The promotions' hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The promotions' tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """promotions.rule and promotions.coupon with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_views():
    """Rules, the simulator and the calendar."""
    from .views import views
    return views()


@hookimpl
def orders_price_draft(draft):
    """The discounts of the rules that apply to the draft."""
    from .services.pricing import price_draft
    return price_draft(draft)


@hookimpl
def portal_on_event(event):
    """Placed orders take usage and keep their explanation; cancelled ones give usage back."""
    from .listeners import on_event
    on_event(event)


@hookimpl
def portal_template_slot(slot, context):
    """The explanation of an order's promotions on the order page."""
    from .slots import template_slot
    return template_slot(slot, context)


@hookimpl
def portal_demo_data(merchants, echo):
    """Live rules of every kind for the demo merchants and the platform."""
    from .demo import load_demo
    load_demo(merchants, echo)


@hookimpl(optionalhook=True)
def members_marketing_offers(actor, merchant_id):
    """The coupon rules whose codes the user may issue to a segment's members
    (optional: the members may not be installed)."""
    from .services.issuing import offers
    return offers(actor, merchant_id)


@hookimpl(optionalhook=True)
def members_issue_offer(actor, merchant_id, key, holders):
    """One-use codes of a coupon rule, each bound to one member."""
    from .services.issuing import issue_to_customers
    return issue_to_customers(actor, merchant_id, key, holders)


@hookimpl(optionalhook=True)
def members_member_erased(channel, customer_ref):
    """Codes issued to an erased member lose the person's reference and can no longer be used."""
    from .services.issuing import forget_customer
    forget_customer(channel, customer_ref)
