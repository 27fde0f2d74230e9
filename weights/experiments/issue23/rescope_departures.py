"""Session 16: the departures of every released card whose training continued earlier runs, written
again with release.lineage_departures, which scopes a departure to the steps it held for (before,
the last segment's departures were listed as if they held for the whole lineage: "discriminator:
spectral normalisation" on a card whose first 7,900 steps used the paper's BN discriminator).

Only `departures_from_paper` changes; the network-interpolation line of a blend is kept at the end.
Run from the repository root: python weights/experiments/issue23/rescope_departures.py
"""

import json
from pathlib import Path

from srgan.atomic import write_json
from srgan.config import Config
from srgan.release import lineage_departures

for path in sorted(Path("weights").rglob("*.json")):
    card = json.loads(path.read_text())
    if not isinstance(card, dict) or len(card.get("segments") or []) < 2 or "departures_from_paper" not in card:
        continue
    segments = card["segments"]
    old = card["departures_from_paper"]
    new = lineage_departures(segments, Config.from_dict(segments[-1]["config"]), card["step"])
    new += [d for d in old if d.startswith("network interpolation")]
    if new != old:
        card["departures_from_paper"] = new
        write_json(path, card)  # as release writes a card
        print(f"{path}: {len(old)} -> {len(new)} departures")
