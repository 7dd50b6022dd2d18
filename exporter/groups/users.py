"""Users: totals, actives per window, sign-ups today, and breakdowns."""

from exporter.catalog import PREFIX
from exporter.groups.base import Col, Group, MetricBinding, Query
from exporter.vocabulary import ActiveWindow, GroupName


def _m(column: str, metric: str, **labels: object) -> MetricBinding:
    return MetricBinding(column, PREFIX + metric, labels)  # type: ignore[arg-type]


USERS = Group(
    name=GroupName.USERS,
    queries=(
        Query(
            "users/totals.sql",
            (
                _m("total", "registered_users", user_type=Col("user_type")),
                _m("signups_today", "signups_today", user_type=Col("user_type")),
            ),
        ),
        Query(
            "users/active.sql",
            tuple(
                _m(f"active_{w}", "active_users", user_type=Col("user_type"), window=w)
                for w in ActiveWindow
            ),
        ),
        Query(
            "users/by_country.sql",
            (
                _m(
                    "users",
                    "registered_users_by_country",
                    user_type=Col("user_type"),
                    country=Col("country"),
                ),
            ),
        ),
        Query(
            "users/suppliers_by_category.sql",
            (
                *(
                    _m(
                        f"active_{w}",
                        "active_suppliers_by_category",
                        window=w,
                        category=Col("category"),
                    )
                    for w in ActiveWindow
                ),
                _m("signups_today", "signups_today_by_category", category=Col("category")),
            ),
        ),
    ),
)
