#!/bin/bash
# issue 23, session 23: AH, run AG's checkpoint at step 2,418 continued with LDL's artifact loss (Liang et al., CVPR
# 2022: L1 of SR and HR weighted by the local variance of SR's residual where G is worse than its running average),
# weight 1000 (its gradient on SR then has the strength of AG's pixel L1 term: 0.8-2.3e-5 per unit weight against
# the L1 term's 0.0106, three batches of BSDS200 crops at AG's step 2,418), all else as AG. Control: AG itself,
# continued from the same checkpoint (same data order). One thread each, nice 10.
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AG_AF2000_chroma300/ckpt_00002418.ckpt \
  --artifact-weight 1000 --keep-last all --no-progress --out-dir /work/runs/AH_AG2418_ldl1000 \
  > /work/runs/AH_AG2418_ldl1000.out 2>&1 &
