#!/bin/bash
# issue 23, session 24: AL = AK (AG's checkpoint at step 2,418, pixel L1 off) + the texture loss at weight 5
# (losses.texture_loss: L1 of SR's and HR's detail-band structure tensors; at AG's step 2,418 its gradient w.r.t. SR
# is 0.005-0.007 per unit weight on three batches of BSDS200 crops, so 5 gives ~0.03: three times AG's pixel L1 term
# (0.0106), a third of the VGG54 term (0.07-0.10)). Same checkpoint, same data order as AK: AL against AK is the
# texture loss's effect. One thread, nice 10.
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AG_AF2000_chroma300/ckpt_00002418.ckpt \
  --gan-pixel-weight 0 --texture-weight 5 --keep-last all --no-progress --out-dir /work/runs/AL_AG2418_tex5_nol1 \
  > /work/runs/AL_AG2418_tex5_nol1.out 2>&1 &
