"""Administration endpoints (admins only)."""

from ..api import ApiBlueprint

blp = ApiBlueprint("admin", __name__, url_prefix="/api/v1/admin",
                   description="Manage users, read service statistics, choose the default model.")
