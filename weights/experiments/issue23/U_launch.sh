#!/bin/bash
# issue 23, end of session 16: does a fresh D shed speckle again? T's control at step 1,232 (speckle
# back to 0.64) with another new spectral D (100 warm-up steps), S's/T's recipe, 96 px, both cores
# (data parallel, 2 x 1 thread; batch 8 split over the ranks).
cd /work/main
PADDLE_DISTRI_BACKEND=gloo OMP_NUM_THREADS=1 nohup .venv/bin/python -m paddle.distributed.launch --nproc_per_node 2 \
  --log_dir /work/runs/U_T1232_log "$(pwd)/.venv/bin/srgan" train --phase gan \
  --init-generator /work/runs/T_S1751_hr96/ckpt_00001232.ckpt --global-skip --d-norm spectral --d-warmup-steps 100 \
  --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
  --hr-size 96 --batch-size 8 --content-loss vgg54 --adv-weight 0.1 --lattice-weight 10000 \
  --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
  --val-every 100 --ckpt-every 100 --keep-last all --seed 1 --out-dir /work/runs/U_T1232 > /work/runs/U_T1232.out 2>&1 &
