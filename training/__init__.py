"""Training pipelines (needs the ``train`` extra): fit, calibrate, evaluate, export to ONNX, check
parity, track in MLflow and promote into a model pack that :mod:`assistant.modelpack` loads.

Each stage is a plain typed function in its own module; :mod:`training.pipeline` wires them.
Importing this package imports nothing heavy.
"""
