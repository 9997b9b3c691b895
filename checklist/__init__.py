"""The assessment standard (考评标准) as data, the mapping of archived files to its materials, and
the readiness check and reports built on them."""
from .check import Check
from .loading import load
from .mapping import ACTIONS, CodeMatcher, Mapping, MappingError
from .model import Item, Material, Standard
from .standard import DEFAULT_STANDARD, StandardError, dump, parse

__all__ = ["ACTIONS", "Check", "CodeMatcher", "DEFAULT_STANDARD", "Item", "Mapping",
           "MappingError", "Material", "Standard", "StandardError", "dump",
           "load", "parse"]
