"""Athena engine version 3 conformance suite: documented cases and their runner (see README.md)."""
