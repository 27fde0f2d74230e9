"""Keeping the processes of a data-parallel run in step (`python -m paddle.distributed.launch`).

Two kinds of agreement, both no-ops in a single process:
- `any_rank(flag)`: a decision every rank must take together (stop, diverged, a bad run
  folder), or one rank would wait forever in its next gradient all-reduce;
- `wait_for_rank0(key)`: rank 0 alone validates and writes checkpoints, which can take
  minutes. The other ranks must not wait for it inside a collective: on a CPU, Paddle's gloo
  backend gives up after 30 s whatever PADDLE_PG_TIMEOUT says (measured: Paddle 2.6 and 3.3,
  rank 0 busy for 45 s ends both processes with "gloo ... TIMEOUT"). They wait on the
  launcher's TCP store instead, which has no such limit.
"""

from __future__ import annotations

import time

import paddle
import paddle.distributed as dist
from paddle.base import core  # the launcher's TCP store (init_parallel_env made it)


def world() -> tuple[int, int]:
    """(rank, world_size) of this process: (0, 1) outside the launcher."""
    return dist.get_rank(), dist.get_world_size()


def any_rank(flag: bool) -> bool:
    """True if `flag` is set on any rank (an all-reduce with MAX)."""
    if dist.get_world_size() == 1:
        return flag
    flags = paddle.to_tensor([int(flag)], dtype="int32")
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    return bool(flags.item())


def wait_for_rank0(key: str, poll_seconds: float = 0.5) -> None:
    """Rank 0: announce that its own work for `key` is done. Other ranks: return once it is.

    Args:
        key: a name unique to this point of the run (e.g. the step number).
        poll_seconds: how often a waiting rank asks the store.
    """
    rank, world_size = world()
    if world_size == 1:
        return
    store = core.create_or_get_global_tcp_store()
    key = f"srgan/rank0_done/{key}"
    if rank == 0:
        store.add(key, 1)
        return
    # add(key, 0) reads the counter without blocking; if rank 0 dies, its store goes with it
    # and add() raises, so a waiting rank never outlives the run.
    while store.add(key, 0) < 1:
        time.sleep(poll_seconds)
