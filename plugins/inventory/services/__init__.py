"""The inventory's services: plain functions taking the acting user (None for
the system) that enforce the business rules; see each module."""
from .allocation import Line, allocate
from .check import Anomaly, check_stock, order_checks_available
from .errors import (AnomalyGone, CannotRepair, CountBelowCommitted, DuplicateWarehouse, InsufficientStock,
                     InvalidQuantity, InvalidRegion, InvalidState, InventoryError, LockNotLive, StocktakeNeeded,
                     UnknownSku, UnknownWarehouse)
from .locks import deduct, expire_locks, hold, lock, order_locks, release
from .repair import repair
from .sales import low_stock, sellable, sellable_many
from .stock import adjust, increase, move, return_goods, set_policy, transfer, write_off
from .warehouses import create_warehouse, update_warehouse

__all__ = ["Line", "allocate", "Anomaly", "check_stock", "order_checks_available", "repair", "AnomalyGone",
           "CannotRepair", "StocktakeNeeded", "CountBelowCommitted", "DuplicateWarehouse",
           "InsufficientStock", "InvalidQuantity", "InvalidRegion", "InvalidState", "InventoryError",
           "LockNotLive", "UnknownSku", "UnknownWarehouse", "deduct", "expire_locks", "hold", "lock", "order_locks",
           "release", "low_stock", "sellable", "sellable_many", "adjust", "increase", "move", "return_goods",
           "set_policy", "transfer", "write_off", "create_warehouse", "update_warehouse"]
