#!/bin/bash
# issue 23, session 17: the renew-D recipe as one run. V's last checkpoint (U600 + a fresh D, 800
# updates) continued with a new spectral D every 800 steps (--d-renew-every 800; each new D trains
# alone for 100 steps), S's/T's/U's recipe otherwise, 96 px, seed 3; both cores at nice 19 (data
# parallel, 2 x 1 thread; batch 8 split over the ranks). Checkpoints every 200 steps, all kept.
cd /work/main
PADDLE_DISTRI_BACKEND=gloo OMP_NUM_THREADS=1 nohup nice -n 19 .venv/bin/python -m paddle.distributed.launch --nproc_per_node 2 \
  --log_dir /work/runs/W_V900_log "$(pwd)/.venv/bin/srgan" train --phase gan \
  --init-generator /work/runs/V_U600/ckpt_00000900.ckpt --global-skip --d-norm spectral --d-warmup-steps 100 \
  --d-renew-every 800 \
  --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
  --hr-size 96 --batch-size 8 --content-loss vgg54 --adv-weight 0.1 --lattice-weight 10000 \
  --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
  --steps 8000 --val-every 100 --ckpt-every 200 --keep-last all --seed 3 --out-dir /work/runs/W_V900 > /work/runs/W_V900.out 2>&1 &
