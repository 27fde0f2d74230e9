#!/bin/bash
# issue 23, session 22: AF, run AE's checkpoint at step 1,500 continued with the pixel L1 term ten times
# stronger (weight 5 on [-1, 1] images), all else as AE. AE's L1 at 0.5 changed nothing measurable in 200
# steps (selection set within 0.02 dB / 0.01 NIQE of AC's); the question AF asks: can a pixel anchor move the
# GAN towards the SRResNet (PSNR up, NIQE up) without the lattice that network interpolation adds (blends of
# AB/AC with the SRResNet raised the grid contrast above both ends)? Side by side with AE from step 1,500.
# One thread, nice 10. Usage: AF_launch.sh
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AE_AC1300_l1/ckpt_00001500.ckpt \
  --pixel-loss l1 --gan-pixel-weight 5 --keep-last all --no-progress --out-dir /work/runs/AF_AE1500_l1x5 \
  > /work/runs/AF_AE1500_l1x5.out 2>&1 &
