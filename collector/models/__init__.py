"""The collector's tables (SQLAlchemy 2), one module per domain area; changes need an Alembic
revision. Importing this package registers every table on ``metadata`` (Alembic's environment and
the migration/model parity test use it). A new area adds its module and one import line below.
"""

from collector.models import (  # noqa: F401  (each module registers its tables)
    alerts,
    audit,
    enrollment,
    incidents,
    lan,
    licences,
    links,
    machines,
    officials,
    people,
    products,
    readiness,
    rejections,
    reports,
    scan,
    settings,
    snmp,
    units,
)
from collector.models.base import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
