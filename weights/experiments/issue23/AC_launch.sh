#!/bin/bash
# issue 23, session 21: AB's side-by-side candidate. The AA line's texture is grain and its Set14 NIQE
# (4.09) lies below HR's - 0.3 (4.62): the adversarial term draws more than the photo has. The same
# start (AA's released generator, a new D with 100 warm-up steps), the same data order (seed 21)
# and recipe as AB, with the adversarial weight 0.1 -> 0.03. vgg-multi through Paddle Inference
# (bf16 on this CPU), one thread, nice 10. Usage: AC_launch.sh
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --phase gan \
  --init-generator weights/experiments/issue23/AA_Z3900_vggmulti_step4607.safetensors \
  --d-warmup-steps 100 --d-norm spectral --d-arch paper \
  --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
  --hr-size 96 --batch-size 8 --num-workers 2 --steps 4000 --lr 1e-4 --lr-milestones 100000 \
  --content-loss vgg-multi --adv-weight 0.03 --gan-loss standard --gan-pixel-weight 0 \
  --lattice-weight 10000 --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 \
  --ema-decay 0.998 --d-renew-every 0 --seed 21 --val-every 100 --ckpt-every 100 \
  --no-progress --out-dir /work/runs/AC_AA4607_adv003 > /work/runs/AC_AA4607_adv003.out 2>&1 &
