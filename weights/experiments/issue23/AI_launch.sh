#!/bin/bash
# issue 23, session 23: AI, run AG's checkpoint at step 2,418 continued with LDL's artifact loss at 1000 and without the
# pixel L1 (gan_pixel_weight 0; AG and AH: 5). LDL's claim is that an artifact map can replace a uniform pixel anchor:
# the L1 pulled the AF/AG line towards the SRResNet (PSNR up, NIQE up), the runs without it (AC, AE) lost PSNR to
# grain. AI against AH (the same with L1 5) is the L1 question under LDL. One thread, nice 10.
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AG_AF2000_chroma300/ckpt_00002418.ckpt \
  --artifact-weight 1000 --gan-pixel-weight 0 --keep-last all --no-progress --out-dir /work/runs/AI_AG2418_ldl1000_nol1 \
  > /work/runs/AI_AG2418_ldl1000_nol1.out 2>&1 &
