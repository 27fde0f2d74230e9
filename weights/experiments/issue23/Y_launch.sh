#!/bin/bash
# issue 23, session 18: W's last checkpoint (1,274) continued with a new spectral D every 800 steps and
# twice the adversarial weight (0.2): the renewal held grid and speckle down while NIQE drifted up
# (content losses pulling G towards the SRResNet); does a stronger adversarial pull hold NIQE without
# the speckle coming back? W's recipe otherwise, seed 5; both cores at nice 19 (data parallel).
cd /work/main
PADDLE_DISTRI_BACKEND=gloo OMP_NUM_THREADS=1 nohup nice -n 19 .venv/bin/python -m paddle.distributed.launch --nproc_per_node 2 \
  --log_dir /work/runs/Y_W1274_log "$(pwd)/.venv/bin/srgan" train --phase gan \
  --init-generator /work/runs/W_V900/ckpt_00001274.ckpt --global-skip --d-norm spectral --d-warmup-steps 100 \
  --d-renew-every 800 \
  --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
  --hr-size 96 --batch-size 8 --content-loss vgg54 --adv-weight 0.2 --lattice-weight 10000 \
  --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
  --steps 8000 --val-every 100 --ckpt-every 200 --keep-last all --seed 5 --out-dir /work/runs/Y_W1274_adv0.2 > /work/runs/Y_W1274_adv0.2.out 2>&1 &
