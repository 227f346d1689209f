"""Every module that defines tables, imported here so that ``metadata`` knows them all
(Alembic's environment and the migration/model parity test use it).

An area with tables of its own (alerts, network devices, ...) keeps its models in its own
module, on ``collector.models.Base``, and adds one import line below.
"""

import collector.alert_models  # noqa: F401  (alerts, alert history, licences: revision 0002)
import collector.integration_models  # noqa: F401  (swept subnets, known devices, refused reports: revision 0005)
import collector.network_models  # noqa: F401  (LAN devices, SNMP, links: revision 0003)
import collector.product_models  # noqa: F401  (product names of each machine's report: revision 0007)
import collector.readiness_models  # noqa: F401  (machine readiness, daily snapshots: revision 0004)
from collector import models
from collector.models import Base

metadata = Base.metadata

__all__ = ["metadata", "models"]
