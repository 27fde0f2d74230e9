#!/bin/bash
# issue 23, session 24: AM = AK (AG's checkpoint at step 2,418, pixel L1 off) + the texture-direction loss at weight 0.3
# (losses.texture_direction_loss: L1 of SR's and HR's detail orientation vectors, weighted by HR's detail energy; at
# AG's step 2,418 its gradient w.r.t. SR is 0.04-0.15 per unit weight on three batches of BSDS200 crops, so 0.3 gives
# ~0.01-0.045, AL's texture term's strength; VGG54's is 0.07-0.10). AL's full structure tensor moved NIQE and PSNR
# (the amount of texture) but not the texture direction: this asks for the direction alone. Same checkpoint, same data
# order as AK and AL. One thread, nice 10.
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AG_AF2000_chroma300/ckpt_00002418.ckpt \
  --gan-pixel-weight 0 --texture-direction-weight 0.3 --keep-last all --no-progress --out-dir /work/runs/AM_AG2418_dir03_nol1 \
  > /work/runs/AM_AG2418_dir03_nol1.out 2>&1 &
