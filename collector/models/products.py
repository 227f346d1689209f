"""Tables of installed products (revision 0007): which product names each machine's newest
report lists (antivirus products and installed programs), so that "installs against seats" is
counted in SQL instead of by decoding every stored report of a subtree.

A name is stored once in ``product_names``; ``machine_products`` pairs a machine with the names of
its current report, with the machine's unit id beside them, so that "machines of this subtree
naming these products" reads one index (product, unit, machine) for the subtree's units. The unit's
id, not its path (revision 0012b): moving a unit in the tree then rewrites no row of this table,
which holds one row per installed program of every machine (30 million for a province).
Both are written when a newer report becomes the machine's state (collector.store.products) and
filled for machines stored before them by the revision itself.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base

NAME_MAX = 255
"""Longer names are cut to this many characters (a product name is rarely past 100)."""


class ProductName(Base):
    __tablename__ = "product_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)


class MachineProduct(Base):
    __tablename__ = "machine_products"
    __table_args__ = (Index("ix_machine_products_product_unit", "product_id", "unit_id", "machine_id"),)

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product_names.id"), primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    """The machine's unit when the names were written (kept equal to it by ingest and by a merge)."""
