"""The reports' own script (drawing the charts with the Chart.js the portal
serves), as a blueprint's static folder under /reports/assets."""
from flask import Blueprint

bp = Blueprint("reports_assets", __name__, static_folder="../static", url_prefix="/reports/assets")
