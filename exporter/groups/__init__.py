"""Metric groups: each is SQL files plus a mapping from result columns to metrics."""

from exporter.groups.base import Col, Ctx, Group, MetricBinding, Query
from exporter.groups.engagement import ENGAGEMENT
from exporter.groups.growth import GROWTH
from exporter.groups.quality import QUALITY
from exporter.groups.revenue import REVENUE
from exporter.groups.users import USERS
from exporter.groups.viral import VIRAL

GROUPS: tuple[Group, ...] = (REVENUE, USERS, VIRAL, ENGAGEMENT, QUALITY, GROWTH)

__all__ = ["GROUPS", "Col", "Ctx", "Group", "MetricBinding", "Query"]
