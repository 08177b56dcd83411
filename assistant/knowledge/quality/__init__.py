"""Quality rule tables as data: one YAML file per concern (read by :mod:`assistant.quality`).

This folder is a package only so that its YAML files ship inside the wheel.
"""
