"""Users: totals, actives per window, sign-ups today, and breakdowns."""

from exporter.contract import SourceTable
from exporter.groups.base import Group, Query, bind
from exporter.vocabulary import ActiveWindow, GroupName

USERS = Group(
    name=GroupName.USERS,
    tables=frozenset({SourceTable.SUPPLIERS, SourceTable.COUPLES, SourceTable.USER_SESSIONS}),
    queries=(
        Query(
            "users/totals.sql",
            (
                bind("total", "registered_users", "user_type"),
                bind("signups_today", "signups_today", "user_type"),
            ),
            many=True,
        ),
        Query(
            "users/active.sql",
            tuple(bind(f"active_{w}", "active_users", "user_type", window=w) for w in ActiveWindow),
            many=True,
        ),
        Query(
            "users/by_country.sql",
            (bind("users", "registered_users_by_country", "user_type", "country"),),
            many=True,
        ),
        Query(
            "users/suppliers_by_category.sql",
            (
                *(
                    bind(f"active_{w}", "active_suppliers_by_category", "category", window=w)
                    for w in ActiveWindow
                ),
                bind("signups_today", "signups_today_by_category", "category"),
            ),
            many=True,
        ),
    ),
)
