"""Images: product images (upload, remove, serve with a thumbnail) and brand
logos. Not in the menu; each route checks the record it serves."""
from flask import abort, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from portal import access, uploads
from portal.extensions import db
from portal.views import PortalView

from ..models import Brand, Product, ProductImage
from ..services import images
from . import attempt

RESOURCE = "catalog.product"


def _send(stored, thumb):
    path = images.thumbnail_path(stored) if thumb else uploads.stored_path(stored)
    response = send_file(path, mimetype=stored.content_type, max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


class ImagesView(PortalView):
    visible_in_menu = False

    @expose("/")
    def index(self):
        """No listing of images: each is reached from its product."""
        abort(404)

    @expose("/<int:image_id>")
    def show(self, image_id):
        """A product image for those who may read the product (its merchant's
        staff, or reviewers)."""
        image = db.session.get(ProductImage, image_id)
        if image is None:
            abort(404)
        product = image.product
        if max(access.record_level(RESOURCE, product), access.record_level("catalog.review", product)) < access.READ:
            abort(404)
        return _send(image.file, request.args.get("thumb") == "1")

    @expose("/brand/<int:brand_id>")
    def logo(self, brand_id):
        """A brand's logo (or its thumbnail with ?thumb=1)."""
        access.require("catalog.library", "read")
        brand = db.session.get(Brand, brand_id)
        if brand is None or brand.logo is None:
            abort(404)
        return _send(brand.logo, request.args.get("thumb") == "1")

    @expose("/product/<int:product_id>", methods=["POST"])
    def upload(self, product_id):
        """Add an uploaded image to a product."""
        product = access.get_or_404(Product, product_id, RESOURCE, "write")
        attempt(lambda: images.add_image(current_user._get_current_object(), product, request.files.get("image")),
                _("Image added."))
        return redirect(url_for("catalog_products.detail", product_id=product_id))

    @expose("/<int:image_id>/delete", methods=["POST"])
    def delete(self, image_id):
        """Remove an image from its product."""
        image = db.session.get(ProductImage, image_id)
        if image is None:
            abort(404)
        product = access.get_or_404(Product, image.product_id, RESOURCE, "write")
        attempt(lambda: images.remove_image(current_user._get_current_object(), image), _("Image removed."))
        return redirect(url_for("catalog_products.detail", product_id=product.id))
