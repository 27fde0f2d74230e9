#!/bin/bash
# issue 23, session 21: AB's side-by-side candidate. The AA line's texture is grain and its Set14 NIQE
# (4.09) lies below HR's - 0.3 (4.62): the adversarial term draws more than the photo has. The same
# start (AA's released generator, a new D with 100 warm-up steps), the same data order (seed 21)
# and recipe as AB, with the adversarial weight 0.1 -> 0.03. vgg-multi through Paddle Inference
# (bf16 on this CPU), one thread, nice 10. Usage: AC_launch.sh
ADV_WEIGHT=0.03 RUN=AC_AA4607_adv003 exec bash "$(dirname "$0")/AB_launch.sh"
