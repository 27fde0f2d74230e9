#!/bin/bash
# issue 25 + 23: 300+ G-steps from R2637 (new spectral D, 100 warm-up), fp32 VGG vs bf16 VGG, same seed
cd /work/main
R=weights/experiments/issue23/R_N2000_adv1e-1_lrcons10_step2637.safetensors
common="--phase gan --init-generator $R --global-skip --d-norm spectral --d-warmup-steps 100 \
 --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
 --hr-size 96 --batch-size 8 --content-loss vgg54 --adv-weight 0.1 --lattice-weight 10000 \
 --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
 --val-every 100 --ckpt-every 100 --keep-last all --seed 0"
for eng in inference inference-bf16; do
  OMP_NUM_THREADS=1 nohup nice -n 19 .venv/bin/srgan train $common --vgg-engine $eng \
    --out-dir /work/runs/S_R2637_$eng > /work/runs/S_R2637_$eng.out 2>&1 &
done
