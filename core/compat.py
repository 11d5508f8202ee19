"""What the supported Python versions (3.10 and newer) spell differently.

Only ``enum.StrEnum`` (3.11) is needed: boards run Ubuntu 22.04, JetPack 6 and Yocto
kirkstone, whose Python is 3.10.
"""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:

    class StrEnum(str, Enum):
        """``enum.StrEnum`` of Python 3.11: members are strings; ``str()`` and
        ``format()`` give the value, not ``Class.MEMBER``."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return str(self.value).__format__(spec)


__all__ = ["StrEnum"]
