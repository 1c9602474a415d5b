"""The customer notebook's training (AdamW over every cell of a dense grid) against our WMF-ALS.

Run from the project root::

    .venv/bin/python -m benchmarks.bench_notebook_vs_als [--batches 300] [--full-epoch]
        [--confidence log --alpha 40 --reg 1000] [--out ...]

The notebook builds every user x track pair (2,000 x 10,000 = 20 million cells here) with its
preference and confidence in a ``TensorDataset``, shuffles them with a ``DataLoader`` into batches of
512 and takes one AdamW step per batch on
``mean(c * (p - x_u . y_i)^2)`` with ``nn.Embedding`` factors (its ``Trainer``; lr 0.005, weight decay
0.005, 32 factors, no bias, no sigmoid, no dropout). We time ``--batches`` batches, extrapolate the time
of one epoch, and record the full objective (:func:`recsys.models.wmf_loss.wmf_loss`, same ``reg``)
of its factors after the timed part (and after a whole epoch with ``--full-epoch``). Then our ALS
trains on the same matrix with the same 32 factors; we report the wall time (set-up included) until
its objective is below the notebook's, and the ratio.

One confidence for both: the notebook's loop weighs its cells with ``--confidence``/``--alpha`` (the
notebook's own is log, alpha 40, eps 1e-8, the default here), the ALS is configured with the same, and
both runs' factors are scored by the same objective with the same ``--reg``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from benchmarks.bench_als import machine
from benchmarks.synthetic import synthetic_split
from recsys.data.interactions import Interactions
from recsys.models.wmf import WMF, WMFConfig
from recsys.models.wmf_loss import confidence, weighted_cells, wmf_loss

N_USERS, N_ITEMS, N_PAIRS = 2_000, 10_000, 200_000
DIM, BATCH = 32, 512


class _NotebookWMF(nn.Module):
    """The notebook's model: two embeddings and a dot product."""

    def __init__(self, n_users: int, n_items: int, dim: int, seed: int) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.user_embedding = nn.Embedding(n_users, dim)
        self.item_embedding = nn.Embedding(n_items, dim)
        with torch.no_grad():
            self.user_embedding.weight.copy_(torch.randn(n_users, dim, generator=gen) * 0.01)
            self.item_embedding.weight.copy_(torch.randn(n_items, dim, generator=gen) * 0.01)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self.user_embedding(users) * self.item_embedding(items)).sum(dim=1)


def notebook_training(
    train: sp.csr_matrix, cfg: WMFConfig, batches: int, full_epoch: bool
) -> dict[str, float]:
    """Run the notebook's loop on the dense grid; time ``batches`` steps (and optionally the epoch)."""
    n_users, n_items = train.shape
    dense = train.toarray().astype(np.float64)
    pref = torch.as_tensor(dense >= cfg.threshold, dtype=torch.float32).ravel()
    # the same confidence as the ALS run (unheard cells, score 0, weigh 1 in both forms)
    weight = torch.as_tensor(
        confidence(dense, alpha=cfg.alpha, eps=cfg.eps, kind=cfg.confidence), dtype=torch.float32
    ).ravel()
    del dense
    model = _NotebookWMF(n_users, n_items, DIM, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.005, weight_decay=0.005)
    # the notebook's pipeline: a TensorDataset of every cell and a shuffling DataLoader, batch 512
    cell = torch.arange(n_users * n_items)
    dataset = torch.utils.data.TensorDataset(cell // n_items, cell % n_items, pref, weight)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    n_batches = len(loader)
    batches_iter = iter(loader)

    def step() -> None:
        users, items, p, c = next(batches_iter)
        loss = (c * (p - model(users, items)) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(5):  # warm-up (allocator, optimizer state), not timed
        step()
    start = time.perf_counter()
    for _ in range(batches):
        step()
    timed = time.perf_counter() - start
    cells = weighted_cells(train, alpha=cfg.alpha, eps=cfg.eps, kind=cfg.confidence, threshold=cfg.threshold)
    x, y = model.user_embedding.weight.detach(), model.item_embedding.weight.detach()
    out = {
        "per_batch": timed / batches,
        "n_batches": float(n_batches),
        "epoch_seconds_extrapolated": timed / batches * n_batches,
        "loss_after_timed": wmf_loss(x, y, cells, reg=cfg.reg),
    }
    if full_epoch:
        start = time.perf_counter()
        for _ in range(5 + batches, n_batches):
            step()
        out["epoch_seconds_measured"] = timed + time.perf_counter() - start
        out["loss_after_epoch"] = wmf_loss(x, y, cells, reg=cfg.reg)
    return out


def als_time_to(train: sp.csr_matrix, cfg: WMFConfig, target: float) -> dict[str, float]:
    """Wall time from calling fit until the ALS objective first drops below ``target``."""
    inter = Interactions(matrix=train, user_ids=np.arange(train.shape[0]), item_ids=np.arange(train.shape[1]))
    reached: dict[str, float] = {}
    start = time.perf_counter()

    def callback(epoch: int, metrics: dict[str, float]) -> None:
        if "seconds" not in reached and metrics["train_loss"] < target:
            reached.update(
                seconds=time.perf_counter() - start, epoch=float(epoch), loss=metrics["train_loss"]
            )

    model = WMF(cfg)
    model.fit(inter, callback=callback)
    reached["final_loss"] = model.history[-1]["train_loss"]
    return reached


def main() -> None:
    """Run both and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--full-epoch", action="store_true")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--confidence", default="log", choices=["log", "linear"])
    parser.add_argument("--alpha", type=float, default=40.0)
    parser.add_argument("--reg", type=float, default=1000.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = WMFConfig(
        embedding_dim=DIM,
        epochs=15,
        confidence=args.confidence,
        alpha=args.alpha,
        reg=args.reg,
        device="cpu",
    )
    train, _ = synthetic_split(N_USERS, N_ITEMS, N_PAIRS, seed=0)
    nb = notebook_training(train, cfg, args.batches, args.full_epoch)
    target = nb.get("loss_after_epoch", nb["loss_after_timed"])
    als = als_time_to(train, cfg, target)
    epoch_time = nb.get("epoch_seconds_measured", nb["epoch_seconds_extrapolated"])
    ratio = epoch_time / als["seconds"] if "seconds" in als else float("nan")
    lines = [
        "# Notebook training (dense grid, AdamW, batch 512) vs WMF-ALS",
        "",
        f"Command: `.venv/bin/python -m benchmarks.bench_notebook_vs_als --batches {args.batches}"
        + (" --full-epoch" if args.full_epoch else "")
        + f" --threads {args.threads} --confidence {args.confidence} --alpha {args.alpha} --reg {args.reg}`",
        "",
        f"Machine: {machine()}",
        "",
        f"Matrix: {N_USERS:,} users x {N_ITEMS:,} tracks ({N_USERS * N_ITEMS:,} cells), "
        f"{train.nnz:,} training pairs (synthetic, seed 0); {DIM} factors; {cfg.confidence} confidence "
        f"alpha {cfg.alpha}, eps {cfg.eps} for both (the notebook's cell weights and the ALS); the "
        f"objective per cell with reg {cfg.reg} for both.",
        "",
        "| | value |",
        "|---|---|",
        f"| notebook: time per batch of {BATCH} (mean of {args.batches}) | {nb['per_batch'] * 1e3:.3f} ms |",
        f"| notebook: batches per epoch | {int(nb['n_batches']):,} |",
        f"| notebook: epoch time, extrapolated | {nb['epoch_seconds_extrapolated']:.1f} s |",
    ]
    if "epoch_seconds_measured" in nb:
        lines.append(f"| notebook: epoch time, measured | {nb['epoch_seconds_measured']:.1f} s |")
    lines.append(
        f"| notebook: objective after the timed {args.batches} batches | {nb['loss_after_timed']:.4f} |"
    )
    if "loss_after_epoch" in nb:
        lines.append(f"| notebook: objective after one epoch | {nb['loss_after_epoch']:.4f} |")
    if "seconds" in als:
        lines += [
            f"| ALS: time to a lower objective (set-up included) | {als['seconds']:.3f} s "
            f"(epoch {int(als['epoch'])}, objective {als['loss']:.4f}) |",
            f"| ALS: objective after 15 epochs | {als['final_loss']:.4f} |",
            f"| **ratio: notebook epoch time / ALS time to a lower objective** | **{ratio:,.0f}x** |",
        ]
    else:
        lines.append(
            f"| ALS: never below the notebook's objective in 15 epochs (final {als['final_loss']:.4f}) | |"
        )
    lines += [
        "",
        "Target: > 1000x. Compared: the notebook's "
        + ("measured epoch" if args.full_epoch else "extrapolated epoch")
        + " against ALS reaching a lower objective than the notebook had "
        + (
            "after that epoch."
            if args.full_epoch
            else f"after its timed {args.batches} batches "
            "(its loss after a whole epoch would be lower; rerun with --full-epoch to use that)."
        ),
        "",
    ]
    text = "\n".join(lines)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
