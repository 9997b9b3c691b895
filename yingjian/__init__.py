"""yingjian (迎检): the application that wires archive, indexer and checklist together."""

__version__ = "0.1.0"
