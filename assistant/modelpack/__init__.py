"""Model packs: self-describing ONNX models that the runtime loads and trusts only after checking.

A pack is a folder with ``model.onnx``, ``manifest.json`` (feature spec and its hash, labels with
ICD-10 codes, calibration, metrics, the ONNX file's sha256) and ``model_card.md``. No pickle.
"""

from __future__ import annotations

from .errors import ModelPackError
from .manifest import CARD_FILE, MANIFEST_FILE, MODEL_FILE, Calibration, Label, Manifest, ManifestError
from .pack import ModelPack, load_pack, sha256_bytes
from .write import write_pack

__all__ = [
    "CARD_FILE",
    "MANIFEST_FILE",
    "MODEL_FILE",
    "Calibration",
    "Label",
    "Manifest",
    "ManifestError",
    "ModelPack",
    "ModelPackError",
    "load_pack",
    "sha256_bytes",
    "write_pack",
]
