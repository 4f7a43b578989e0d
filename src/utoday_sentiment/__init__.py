"""Collect U.Today crypto-news headlines into PostgreSQL and label their sentiment."""

__version__ = "0.1.0"
