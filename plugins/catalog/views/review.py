"""Product review: the queue of pending products, and approving or rejecting
one with a reason the merchant sees. Platform staff only."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from portal import access
from portal.paging import paginate
from portal.views import PortalView

from ..models import Product
from ..services import queries, review
from . import attempt, status_labels

RESOURCE = "catalog.review"


class ReviewView(PortalView):
    resource = RESOURCE

    def is_accessible(self):
        """Reviewers are platform staff, whatever a merchant role grants."""
        return super().is_accessible() and current_user.merchant_id is None

    @expose("/")
    def index(self):
        """Products waiting for review, oldest change first."""
        page = paginate(queries.review_queue(current_user._get_current_object()), request.args.get("page"))
        return self.render("catalog/review.html", page=page, review_required=review.review_required())

    @expose("/<int:product_id>")
    def detail(self, product_id):
        """Everything a reviewer needs to decide on one product."""
        product = access.get_or_404(Product, product_id, RESOURCE, "read")
        return self.render("catalog/review_detail.html", product=product,
                           can_decide=access.has_level(RESOURCE, "write"), labels=status_labels())

    @expose("/<int:product_id>/approve", methods=["POST"])
    def approve(self, product_id):
        """Approve a pending product."""
        access.require(RESOURCE, "write")
        product = access.get_or_404(Product, product_id, RESOURCE, "read")
        _result, error = attempt(lambda: review.approve(current_user._get_current_object(), product),
                                 _("Approved: %(title)s.", title=product.title_en))
        return redirect(url_for(".index") if error is None else url_for(".detail", product_id=product_id))

    @expose("/<int:product_id>/reject", methods=["POST"])
    def reject(self, product_id):
        """Reject a pending product with the reason the merchant will see."""
        access.require(RESOURCE, "write")
        product = access.get_or_404(Product, product_id, RESOURCE, "read")
        title = product.title_en
        _result, error = attempt(lambda: review.reject(current_user._get_current_object(), product,
                                                       request.form.get("reason")))
        if error is None:
            flash(_("Rejected: %(title)s.", title=title), "success")
            return redirect(url_for(".index"))
        return redirect(url_for(".detail", product_id=product_id))
