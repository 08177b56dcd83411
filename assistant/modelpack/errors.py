"""The one error the model-pack loader raises."""

from __future__ import annotations

__all__ = ["ModelPackError"]


class ModelPackError(Exception):
    """A model pack that cannot be trusted or used.

    The message names the pack folder, the file, and what was expected versus found, in English
    followed by Chinese, so a clinic's operator can tell "re-install the pack" from "wrong version".
    """

    def __init__(self, path: str, file: str, reason_en: str, reason_zh: str) -> None:
        self.path = path
        self.file = file
        self.reason_en = reason_en
        self.reason_zh = reason_zh
        super().__init__(f"model pack {path}: {file}: {reason_en}\n模型包 {path}：{file}：{reason_zh}")
