"""Local accounts: roles, what each role may see, and slow password hashing.

Roles (DESIGN.md decision 9):

- ``village_doctor``: reads and changes the patients of their own village (and township, when set);
- ``public_health``: reads the patients of their township; changes nothing;
- ``admin``: reads and changes every patient, manages accounts, reads the audit log.

Passwords are hashed with scrypt (``hashlib.scrypt``) and a random 16-byte salt per account; the
stored text ``scrypt$N$r$p$salt$hash`` carries its own parameters, so they can be raised later
without invalidating older hashes. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ROLES",
    "Account",
    "Role",
    "can_read_patient",
    "can_write_patient",
    "hash_password",
    "verify_password",
]

Role = Literal["village_doctor", "public_health", "admin"]
ROLES: tuple[str, ...] = ("village_doctor", "public_health", "admin")

SCRYPT_N = 2**15  # about 32 MiB and ~0.1 s per hash: slow for a guesser, fine for a login
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Account:
    """Who is acting. The store re-reads the role and place from the database on every call, so an
    object with a forged role grants nothing."""

    username: str
    role: Role
    village: str = ""
    township: str = ""
    display_name: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Account:
        return cls(
            username=row["username"],
            role=row["role"],
            village=row["village"],
            township=row["township"],
            display_name=row["display_name"],
        )


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + (1 << 20), dklen=32
    )


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt_hex$hash_hex`` for ``password`` (a fresh random salt unless given)."""
    salt = os.urandom(16) if salt is None else salt
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = _scrypt(password, bytes.fromhex(salt_hex), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, bytes.fromhex(hash_hex))


def can_read_patient(actor: Account, village: str, township: str) -> bool:
    """Whether ``actor`` may read a patient of this village and township."""
    if actor.role == "admin":
        return True
    if actor.role == "public_health":
        return bool(actor.township) and township == actor.township
    if actor.role == "village_doctor":
        return (
            bool(actor.village)
            and village == actor.village
            and (not actor.township or township == actor.township)
        )
    return False


def can_write_patient(actor: Account, village: str, township: str) -> bool:
    """Whether ``actor`` may create or change a patient of this village and township."""
    if actor.role == "admin":
        return True
    if actor.role == "village_doctor":
        return can_read_patient(actor, village, township)
    return False
