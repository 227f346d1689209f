"""Tables of installed products (revision 0007): which product names each machine's newest
report lists (antivirus products and installed programs), so that "installs against seats" is
counted in SQL instead of by decoding every stored report of a subtree.

A name is stored once in ``product_names``; ``machine_products`` pairs a machine with the names of
its current report, with the machine's unit path beside them (as machine_readiness keeps it), so
that "machines of this subtree naming these products" is one range scan of one index per product.
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
    __table_args__ = (Index("ix_machine_products_product_path", "product_id", "unit_path", "machine_id"),)

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product_names.id"), primary_key=True, autoincrement=False)
    unit_path: Mapped[str] = mapped_column(String(512))
    """The machine's unit's materialized path ("/1/7/42/") when the names were written."""
