#!/bin/bash
# issue 23, session 23: AK, the control for AI: run AG's checkpoint at step 2,418 continued without the pixel L1
# (gan_pixel_weight 0) and without LDL's artifact loss; everything else as AG, AH and AI (same checkpoint, same data
# order). AI against AK is LDL's effect where no uniform pixel anchor holds the texture. One thread, nice 10.
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AG_AF2000_chroma300/ckpt_00002418.ckpt \
  --gan-pixel-weight 0 --keep-last all --no-progress --out-dir /work/runs/AK_AG2418_nol1 \
  > /work/runs/AK_AG2418_nol1.out 2>&1 &
