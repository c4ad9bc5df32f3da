"""resim: replace a lost, deleted or broken eSIM online, on the same number."""

__version__ = "0.1.0"
