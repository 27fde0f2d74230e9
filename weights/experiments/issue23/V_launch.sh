#!/bin/bash
# issue 23, session 17: U at step 600 (a fresh D shed speckle 0.64 -> 0.58) with yet another fresh
# spectral D (100 warm-up steps), same recipe, seed 2; both cores at nice 19 (data parallel, 2 x 1
# thread). Tests the renew-D-every-~800-updates recipe by hand before it becomes a flag.
cd /work/main
PADDLE_DISTRI_BACKEND=gloo OMP_NUM_THREADS=1 nohup nice -n 19 .venv/bin/python -m paddle.distributed.launch --nproc_per_node 2 \
  --log_dir /work/runs/V_U600_log "$(pwd)/.venv/bin/srgan" train --phase gan \
  --init-generator /work/runs/U_T1232/ckpt_00000600.ckpt --global-skip --d-norm spectral --d-warmup-steps 100 \
  --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
  --hr-size 96 --batch-size 8 --content-loss vgg54 --adv-weight 0.1 --lattice-weight 10000 \
  --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
  --steps 900 --val-every 100 --ckpt-every 100 --keep-last all --seed 2 --out-dir /work/runs/V_U600 > /work/runs/V_U600.out 2>&1 &
