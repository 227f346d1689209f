"""Every module that defines tables, imported here so that ``metadata`` knows them all
(Alembic's environment and the migration/model parity test use it).

An area with tables of its own (alerts, network devices, ...) keeps its models in its own
module, on ``collector.models.base.Base``, and adds one import line below.
"""

import collector.models.alerts  # noqa: F401  (alerts, alert history, licences: revision 0002)
import collector.models.integration  # noqa: F401  (swept subnets, known devices, refused reports: revision 0005)
import collector.models.network  # noqa: F401  (LAN devices, SNMP, links: revision 0003)
import collector.models.products  # noqa: F401  (product names of each machine's report: revision 0007)
import collector.models.readiness  # noqa: F401  (machine readiness, daily snapshots: revision 0004)
from collector import models
from collector.models.base import Base

metadata = Base.metadata

__all__ = ["metadata", "models"]
