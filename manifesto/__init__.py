"""A static site generator for policy-manifesto microsites."""

__version__ = "0.1.0"
