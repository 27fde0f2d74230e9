#!/bin/bash
# issue 23, session 21 (a new machine: run AA's folder, its D and optimizers are gone): run AA continued
# from its released generator (step 4,607 of AA, 5,881 over the lineage) with a new discriminator
# (100 warm-up steps alone) and AA's recipe otherwise: vgg-multi content loss, adversarial 0.1,
# lattice 10000, chroma 100, LR-consistency 10, EMA 0.998, batch 8 of 96 px, spectral D, no renewal,
# selection set every 100 steps, every checkpoint kept. One thread, nice 10. Usage: AB_launch.sh
# (AC_launch.sh runs the same with ADV_WEIGHT=0.03 and RUN=AC_AA4607_adv003.)
ADV_WEIGHT=${ADV_WEIGHT:-0.1}
RUN=${RUN:-AB_AA4607}
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --phase gan \
  --init-generator weights/experiments/issue23/AA_Z3900_vggmulti_step4607.safetensors \
  --d-warmup-steps 100 --d-norm spectral --d-arch paper \
  --train-dirs /work/shared/datasets/T91 /work/shared/datasets/BSDS200 --val-dir selection \
  --hr-size 96 --batch-size 8 --num-workers 2 --steps 4000 --lr 1e-4 --lr-milestones 100000 \
  --content-loss vgg-multi --adv-weight "$ADV_WEIGHT" --gan-loss standard --gan-pixel-weight 0 \
  --lattice-weight 10000 --lowfreq-weight 0 --chroma-weight 100 --lr-consistency-weight 10 \
  --ema-decay 0.998 --d-renew-every 0 --seed 21 --val-every 100 --ckpt-every 100 \
  --no-progress --out-dir "/work/runs/$RUN" > "/work/runs/$RUN.out" 2>&1 &
# At step 353 (session 21) the run was stopped and continued in place, unchanged but for the engine:
# vgg-multi now runs through Paddle Inference like vgg54, and "auto" picks bf16 on this CPU
# (0.61x the step time; G's gradient cos 0.9992 to autograd's):
#   OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume --no-progress --out-dir /work/runs/AB_AA4607 >> /work/runs/AB_AA4607.out 2>&1 &
