"""App config for access reviews: registers the review evidence with the checklist's Access Controls item
(which SOC 2's CC6.1 and CC6.3 read in turn)."""

from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Access reviews"

    def ready(self) -> None:
        from compliance.checklist import register_check
        from reviews.evidence import access_review_current

        register_check("access_controls", access_review_current)
