"""The assessment standard (考评标准) as data, the mapping of archived files to its materials, and
the readiness check and reports built on them."""
from .standard import DEFAULT_STANDARD, standard_units

__all__ = ["DEFAULT_STANDARD", "standard_units"]
