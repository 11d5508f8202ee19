"""Why the kernel refused: explanation rules per area, registered on import.

:mod:`core.errors` turns an errno into a typed error and asks :data:`RULES` (for
(ioctl, errno)) and :data:`GENERIC` (for the errno alone) for the title and explanation.
"""

from core.explain import dmabuf, dvb, generic, media, v4l2
from core.explain.registry import GENERIC, RULES, Explainer, Explanation

__all__ = ["GENERIC", "RULES", "Explainer", "Explanation", "dmabuf", "dvb", "generic", "media",
           "v4l2"]
