#!/bin/bash
# issue 23, session 22: AG, run AF's checkpoint at step 2,000 continued with the chroma weight 300 (was 100), all
# else as AF (L1 5). AF's pixel anchor raised the texture direction and PSNR but also the colour cast (0.17 -> 0.21),
# which no other run did: does a stronger chroma term hold it? Two threads (the machine otherwise idle), nice 10.
cd /work/main
OMP_NUM_THREADS=2 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AF_AE1500_l1x5/ckpt_00002000.ckpt \
  --chroma-weight 300 --keep-last all --no-progress --out-dir /work/runs/AG_AF2000_chroma300 \
  > /work/runs/AG_AF2000_chroma300.out 2>&1 &
