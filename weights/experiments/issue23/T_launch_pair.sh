#!/bin/bash
# issue 23, session 16: does a larger crop (ESRGAN's 128 px HR patches, D judging 128 px) draw structure?
# Both lanes from S at step 1751 with a new spectral D (100 warm-up steps), R's/S's recipe, same seed;
# lane "hr96" is the control (S continued with a fresh D), lane "hr128" changes only the crop size.
cd /work/main
S=weights/experiments/issue23/S_R2637_step1751.safetensors
common="--phase gan --init-generator $S --global-skip --d-norm spectral --d-warmup-steps 100 \
 --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
 --batch-size 8 --content-loss vgg54 --adv-weight 0.1 --lattice-weight 10000 \
 --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
 --val-every 100 --ckpt-every 100 --keep-last all --seed 0"
for hr in 96 128; do
  OMP_NUM_THREADS=1 nohup nice -n 19 .venv/bin/srgan train $common --hr-size $hr --d-image-size $hr \
    --out-dir /work/runs/T_S1751_hr$hr > /work/runs/T_S1751_hr$hr.out 2>&1 &
done
