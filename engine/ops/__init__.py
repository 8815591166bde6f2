"""Operations: one module per family, each registering its operations on import."""

import importlib

from .registry import (
    REGISTRY,
    Context,
    NeedsWholeFile,
    Operation,
    Param,
    Processor,
    all_operations,
    get_operation,
    operation,
)

MODULES = ["level", "time", "pitch", "filters", "space", "color", "dynamics", "repair", "stereo", "mix", "declick", "declip", "split"]


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")


__all__ = ["REGISTRY", "Context", "NeedsWholeFile", "Operation", "Param", "Processor", "all_operations", "get_operation", "load_all", "operation"]
