#!/bin/bash
# issue 23, session 22: AD, run AC's checkpoint at step 1,000 (its D and Adam states kept) continued with the
# paper's second learning rate, 10^-5 for G and D (a milestone at step 1,000: MultiStepDecay x 0.1), all else as
# AC (AC_launch.sh). Side by side with AC itself from step 1,000. One thread, nice 10. Usage: AD_launch.sh
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/AC_AA4607_adv003/ckpt_00001000.ckpt \
  --lr-milestones 1000 --keep-last all --no-progress --out-dir /work/runs/AD_AC1000_lr1e5 > /work/runs/AD_AC1000_lr1e5.out 2>&1 &
