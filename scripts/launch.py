#!/usr/bin/env python
"""Launches ``metta-lit fit`` as a multi-node DDP job: one ``torchrun`` per node.

On each node, run this with the same arguments and that node's ``--node_rank``; torchrun starts
``--gpus_per_node`` training processes there and they meet at ``--master_addr:--master_port``
(static rendezvous). Lightning sees torchrun's variables (``RANK``, ``LOCAL_RANK``,
``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) and runs DDP over all nodes; only global
rank 0 writes checkpoints, policy URIs and logs; ``total_timesteps`` counts every rank's steps.

Under SLURM (``srun`` one task per node) the node count, node rank and first node's address
default to ``SLURM_JOB_NUM_NODES``, ``SLURM_NODEID`` and ``SLURM_JOB_NODELIST``, and the port
to Lightning's rule for ``SLURM_JOB_ID``. ``--sbatch`` prints a job script from
``scripts/slurm/train.sbatch`` instead of launching.

    python scripts/launch.py --nodes 2 --gpus_per_node 8 --node_rank 0 --master_addr node01 \\
        --run big_run --config configs/arena.yaml -- --model.init_args.total_timesteps 1e9
    python scripts/launch.py --sbatch --nodes 2 --gpus_per_node 4 --run big_run > job.sbatch
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from string import Template

SBATCH = Path(__file__).with_name("slurm") / "train.sbatch"


class SbatchTemplate(Template):
    delimiter = "@"  # the job script is bash: '$' belongs to the shell


def slurm_default(name: str, fallback: str) -> str:
    return os.environ.get(name, fallback)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    in_slurm = "SLURM_JOB_ID" in os.environ
    if in_slurm:  # Lightning's reading of SLURM's variables; elsewhere its import (seconds) is not needed
        from lightning.fabric.plugins.environments import SLURMEnvironment
    parser.add_argument("--nodes", type=int, default=int(slurm_default("SLURM_JOB_NUM_NODES", "1")))
    parser.add_argument("--gpus_per_node", type=int, default=1, help="GPUs per node (with --cpu: processes)")
    parser.add_argument("--node_rank", type=int, default=int(slurm_default("SLURM_NODEID", "0")))
    parser.add_argument(
        "--master_addr",
        default=SLURMEnvironment.resolve_root_node_address(os.environ["SLURM_JOB_NODELIST"])
        if in_slurm and "SLURM_JOB_NODELIST" in os.environ
        else "127.0.0.1",
        help="address of node 0 (under SLURM: the first host of SLURM_JOB_NODELIST)",
    )
    parser.add_argument(
        "--master_port",
        type=int,
        default=SLURMEnvironment().main_port if in_slurm else int(os.environ.get("MASTER_PORT", "29500")),
    )
    parser.add_argument("--run", required=True, help="run name (checkpoints go to <data_dir>/<run>)")
    parser.add_argument("--config", default="configs/arena.yaml")
    parser.add_argument("--cpu", action="store_true", help="processes on CPU cores with gloo (no GPU)")
    parser.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    parser.add_argument("--sbatch", action="store_true", help="print a SLURM job script for these arguments")
    parser.add_argument("--time", default="24:00:00", help="--sbatch: the job's time limit")
    parser.add_argument("--cpus_per_task", type=int, default=16, help="--sbatch: CPU cores per node")
    parser.add_argument("--log_dir", default=".", help="--sbatch: an existing folder for the job's output")
    args, overrides = parser.parse_known_args(argv)
    args.overrides = [o for o in overrides if o != "--"]
    if args.nodes < 1 or args.gpus_per_node < 1 or not 0 <= args.node_rank < args.nodes:
        parser.error(f"need nodes >= 1, gpus_per_node >= 1 and 0 <= node_rank < nodes (got {args})")
    return args


def torchrun_command(args: argparse.Namespace) -> list[str]:
    """This node's torchrun, running ``metta-lit fit`` on every one of its devices."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes",
        str(args.nodes),
        "--nproc_per_node",
        str(args.gpus_per_node),
        "--node_rank",
        str(args.node_rank),
        "--rdzv_endpoint",
        f"{args.master_addr}:{args.master_port}",
        "-m",
        "metta_lit.cli",
        "fit",
        "--config",
        args.config,
        "--trainer.accelerator",
        "cpu" if args.cpu else "gpu",
        "--trainer.devices",
        str(args.gpus_per_node),
        "--trainer.num_nodes",
        str(args.nodes),
        "--trainer.strategy",
        "ddp",
        "--checkpoint.run",
        args.run,
        *args.overrides,
    ]


def sbatch_script(args: argparse.Namespace) -> str:
    """The job script: the template with this launch's sizes and arguments (the node rank and
    address are left to each node's SLURM variables)."""
    launch = ["--nodes", str(args.nodes), "--gpus_per_node", str(args.gpus_per_node), "--run", args.run]
    launch += ["--config", args.config, *(["--cpu"] if args.cpu else []), "--", *args.overrides]
    return SbatchTemplate(SBATCH.read_text()).substitute(
        run=args.run,
        nodes=args.nodes,
        gpus_per_node=args.gpus_per_node,
        cpus_per_task=args.cpus_per_task,
        time=args.time,
        log_dir=args.log_dir,
        workdir=shlex.quote(os.getcwd()),
        python=shlex.quote(sys.executable),
        launcher=shlex.quote(str(Path(__file__).resolve())),
        launch_args=shlex.join(launch),
    )


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.sbatch:
        print(sbatch_script(args), end="")
        return
    command = torchrun_command(args)
    if args.dry_run:
        print(shlex.join(command))
        return
    os.execv(command[0], command)  # torchrun takes this process: srun's signals reach it


if __name__ == "__main__":
    main()
