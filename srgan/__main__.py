# `python -m srgan`, and the script paddle.distributed.launch runs (hence the absolute import).
from srgan.cli import console

console()
