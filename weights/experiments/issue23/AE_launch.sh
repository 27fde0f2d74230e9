#!/bin/bash
# issue 23, session 22: AE, run AC's checkpoint at step 1,300 continued with a pixel L1 term beside the
# vgg-multi content loss (weight 0.5 on [-1, 1] images = Real-ESRGAN's L1 weight 1 on [0, 1]; Real-ESRGAN:
# L1 1, perceptual 1, GAN 0.1), all else as AC. Why: AC and AD lose PSNR step by step at a flat NIQE, the
# texture-direction score of every GAN run lies below the SRResNet's (0.60 vs 0.62), and chapter 6's live runs
# show a pixel loss holding back the lattice that VGG draws. Side by side with AC from step 1,300.
# One thread, nice 10. Usage: AE_launch.sh
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AC_AA4607_adv003/ckpt_00001300.ckpt \
  --pixel-loss l1 --gan-pixel-weight 0.5 --keep-last all --no-progress --out-dir /work/runs/AE_AC1300_l1 \
  > /work/runs/AE_AC1300_l1.out 2>&1 &
