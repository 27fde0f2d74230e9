# `python -m srgan`, and the script paddle.distributed.launch runs (hence the absolute import).
import sys

from srgan.cli import main

sys.exit(main())
