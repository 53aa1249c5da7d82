"""The inspector's review of an inspection: photos, damages, vehicle data and the report.

``ReviewWorkspace(store, inspection_id)`` is the entry point; the rest are its
parts, usable alone against a ``ReviewModel``.
"""

from ui.review.annotations import DamageModel
from ui.review.review_model import ReviewModel
from ui.review.workspace import ReviewWorkspace

__all__ = ["DamageModel", "ReviewModel", "ReviewWorkspace"]
