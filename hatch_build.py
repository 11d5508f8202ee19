"""Build hook: generate the man page and the completion scripts into the wheel's share/.

They come from mediatui's own argparse parser (``mediatui.cli_docs``), so they can never
disagree with ``--help``.  Only the wheel gets them (the sdist carries this hook and
regenerates); an editable install skips them (they are for a real installation).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = str(Path(self.root).resolve())
        if root not in sys.path:
            sys.path.insert(0, root)
        from mediatui.cli_docs import SHARE_PATHS, generated_files

        out = Path(self.directory) / "generated-share"
        out.mkdir(parents=True, exist_ok=True)
        for name, text in generated_files().items():
            path = out / name
            path.write_text(text)
            build_data.setdefault("shared_data", {})[str(path)] = SHARE_PATHS[name]
