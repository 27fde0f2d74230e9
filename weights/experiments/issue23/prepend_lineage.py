"""Put the training that came before a lineage's first segment back into a released card and log.

Run K (issue 23) started from a copy of J's step-4000 generator (`/work/runs/J4000.safetensors`,
today `weights/srgan_x4.safetensors` before session 15) made without its card, so every card of
the K -> M -> N -> Q/R lineage counts its steps from K's start and leaves out the 4,000 steps of
runs I and J behind it. This script prepends a released file's card and log (the `before`) to
another release (the `after`), once, with the evidence that `after` started where `before` ended:
after's first validation (K's step 100: its first 100 steps trained a new D alone, G fixed) must
equal before's last one on the selection set.

    python weights/experiments/issue23/prepend_lineage.py BEFORE.safetensors AFTER.safetensors

Rewrites AFTER's .json card (step, training_hours, segments, learning_curve, departures) and _log.jsonl;
the weights are not touched. Refuses if AFTER's card already holds BEFORE's segments.
"""
import json
import sys
from pathlib import Path

from srgan.atomic import write_json
from srgan.checkpoint import card_and_log_paths
from srgan.config import Config
from srgan.release import departures_from_paper


def main(before: Path, after: Path) -> None:
    (before_card_file, before_log_file), (after_card_file, after_log_file) = map(card_and_log_paths, (before, after))
    b, a = json.loads(before_card_file.read_text()), json.loads(after_card_file.read_text())
    if a.get("prepended_lineage"):
        raise SystemExit(f"{after_card_file}: already holds {a['prepended_lineage']}'s lineage")
    last, first = b["learning_curve"][-1], a["learning_curve"][0]
    for key in ("psnr", "niqe", "grid_contrast", "colour_shift", "colour_speckle"):
        if abs(last[key] - first[key]) > 1e-3:
            raise SystemExit(f"{after}: its first validation {key} {first[key]:.4f} is not {before}'s last "
                             f"{last[key]:.4f}: it did not start from those weights")
    offset, n_before = int(b["step"]), len(b.get("segments") or [])
    segments = list(b["segments"]) + [{**s, "from_step": s["from_step"] + offset} for s in a["segments"]]
    total = a["step"] + offset
    # the departures as release_run derives them, over the whole chain (their step ranges moved)
    departures = departures_from_paper(Config.from_dict(a["config"]), steps=total)
    for seg in segments[:-1]:
        end = seg["from_step"] + seg["steps"]
        departures += [f"steps {seg['from_step']:,}-{end:,}: {d}" for d in departures_from_paper(Config.from_dict(seg["config"]))
                       if d not in departures]
    departures += [d for d in a["departures_from_paper"] if d.startswith("network interpolation")]
    a.update({"step": total, "departures_from_paper": departures,
              "training_hours": round(b["training_hours"] + a["training_hours"], 3),
              "segments": segments,
              "learning_curve": b["learning_curve"] + [{**r, "step": r["step"] + offset} for r in a["learning_curve"]],
              "prepended_lineage": {"file": before.name, "card": before_card_file.name, "steps": offset,
                                    "evidence": f"first validation of the later segments equals {before.name}'s last "
                                                "(selection set, within 1e-3)"}})
    records = [json.loads(line) for line in before_log_file.read_text().splitlines() if line.strip()]
    records += [{**r, "step": r["step"] + offset, "segment": r.get("segment", 0) + n_before}
                for r in (json.loads(line) for line in after_log_file.read_text().splitlines() if line.strip())]
    write_json(after_card_file, a)
    tmp = after_log_file.with_name(after_log_file.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in records))
    tmp.replace(after_log_file)
    print(f"{after_card_file}: step {a['step']:,}, {len(segments)} segments, {a['training_hours']:.2f} h; "
          f"{after_log_file}: {len(records)} records")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
