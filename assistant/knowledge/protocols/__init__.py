"""Follow-up protocols as data: one YAML file per program (read by :mod:`assistant.followup.protocols`).

This folder is a package only so that its YAML files ship inside the wheel.
"""
