"""Reproductions of the paper's Section 6 (scripts; not part of the installed package). Entry point: run.py."""
