#!/bin/bash
# issue 23, session 20: does a perceptual loss over five VGG19 layers make the texture follow the
# photo? Run Z's control at step 3,900 (its G, D and optimizers: `--resume` of its checkpoint into a
# new folder) continued with only the content loss changed, VGG54 -> "vgg-multi" (Real-ESRGAN's
# perceptual loss: L1 of the pre-ReLU features of phi_1,2 ... phi_5,4, weights 0.1, 0.1, 1, 1, 1).
# The control is Z itself, which goes on from the same checkpoint with the same data order.
# One thread, nice 10. Usage: AA_launch.sh
cd /work/main
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/srgan train --resume /work/runs/Z_W1274_paper/ckpt_00003900.ckpt \
  --content-loss vgg-multi --no-progress --out-dir /work/runs/AA_Z3900_vggmulti > /work/runs/AA_Z3900_vggmulti.out 2>&1 &
