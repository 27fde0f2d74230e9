#!/bin/bash
# issue 23, session 19: does a per-pixel critic make the texture follow the photo? Real-ESRGAN's answer
# to "grain over soft shapes" is a U-Net discriminator (spectrally normalised) that judges every pixel,
# not the whole crop. Two lanes from W's released step 1,274 (its running average) with a new D (100
# warm-up steps), W's recipe without the renewal, the same seed; lane "paper" (the control) keeps the
# spectral VGG-style D, lane "unet" changes only the discriminator: a U-Net (--d-arch unet) of 32 channels
# (Real-ESRGAN: 64), which costs about what the paper's D does (64 channels would make a step ~2.3x slower).
# One thread each, side by side, nice 10. Usage: Z_launch_pair.sh paper|unet
cd /work/main
W=weights/experiments/issue23/W_V900_step1274.safetensors
lane=$1
extra=""; [ "$lane" = unet ] && extra="--d-arch unet --d-channels 32"
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --phase gan --init-generator $W --global-skip \
  --d-norm spectral --d-warmup-steps 100 $extra \
  --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
  --hr-size 96 --batch-size 8 --content-loss vgg54 --adv-weight 0.1 --lattice-weight 10000 \
  --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 --ema-decay 0.998 \
  --steps 6000 --val-every 100 --ckpt-every 100 --keep-last all --seed 7 \
  --out-dir /work/runs/Z_W1274_$lane > /work/runs/Z_W1274_$lane.out 2>&1 &
