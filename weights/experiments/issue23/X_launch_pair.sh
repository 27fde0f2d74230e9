#!/bin/bash
# issue 23, session 17's last 45 minutes: does the paper's lower learning rate (its second 1e5 updates at
# 1e-5) let the texture settle? Both lanes from W's released step 1,274 (its running average) with a
# new spectral D (100 warm-up steps), S's recipe, same seed; lane "lr1e-4" is the control, lane
# "lr1e-5" changes only the learning rate (G's and D's). One thread each, side by side.
cd /work/main
W=weights/experiments/issue23/W_V900_step1274.safetensors
common="--phase gan --init-generator $W --global-skip --d-norm spectral --d-warmup-steps 100 \
 --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
 --hr-size 96 --batch-size 8 --content-loss vgg54 --adv-weight 0.1 --lattice-weight 10000 \
 --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
 --val-every 100 --ckpt-every 100 --keep-last all --seed 4"
for lr in 1e-4 1e-5; do
  OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train $common --lr $lr \
    --out-dir /work/runs/X_W1274_lr$lr > /work/runs/X_W1274_lr$lr.out 2>&1 &
done
