"""The commit graph: parent links per repository, from the flat commit arrays.

Trunk commits (roots, merges, direct pushes, hotfixes) form one first-parent chain per repository
in commit-time order. A feature branch starts from the trunk commit current when its first commit
was written, and a merge commit has two parents: the previous trunk commit and the branch tip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.activity import FEATURE, MERGE, ROOT, TRUNK_KINDS, Commits
from pipelines.demo.util import keys


@dataclass
class Graph:
    parent1: np.ndarray  # commit index or -1
    parent2: np.ndarray  # commit index or -1 (merge commits only)
    rank: np.ndarray  # position on its repository's trunk (global, increasing per repo), or -1
    landed: np.ndarray  # trunk rank at which the commit became reachable from trunk, or -1


def link(commits: Commits) -> Graph:
    """Parents of every commit, and the trunk position at which each commit landed."""
    n = len(commits.sha)
    idx = np.arange(n)
    trunk = np.isin(commits.kind, TRUNK_KINDS)
    t_idx = idx[trunk]
    order = t_idx[np.lexsort((t_idx, commits.committed[t_idx], commits.repo[t_idx]))]
    rank = np.full(n, -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    same_repo = commits.repo[order][1:] == commits.repo[order][:-1]
    prev = np.full(n, -1, dtype=np.int64)
    prev[order[1:]] = np.where(same_repo, order[:-1], -1)

    parent1 = np.where(trunk & (commits.kind != ROOT), prev, -1)
    feature = commits.kind == FEATURE
    first = feature & (commits.seq == 0)
    trunk_keys = keys(commits.repo[order], commits.committed[order])
    pos = (
        np.searchsorted(
            trunk_keys, keys(commits.repo[first], commits.authored[first]), side="right"
        )
        - 1
    )
    base = order[np.maximum(pos, 0)]
    parent1[first] = np.where((pos >= 0) & (commits.repo[base] == commits.repo[first]), base, -1)
    later = feature & (commits.seq > 0)
    parent1[later] = idx[later] - 1

    # the tip of each pull request's branch: its last feature commit
    f_idx = idx[feature]
    f_pr = commits.pr[feature]
    tip_mask = np.ones(len(f_idx), dtype=bool)
    tip_mask[:-1] = f_pr[1:] != f_pr[:-1]
    n_pr = int(commits.pr.max()) + 1 if n else 0
    tip = np.full(n_pr, -1, dtype=np.int64)
    tip[f_pr[tip_mask]] = f_idx[tip_mask]
    merge = commits.kind == MERGE
    parent2 = np.full(n, -1, dtype=np.int64)
    parent2[merge] = tip[commits.pr[merge]]

    landed = rank.copy()
    merged_at_rank = np.full(n_pr, -1, dtype=np.int64)
    merged_at_rank[commits.pr[merge]] = rank[merge]
    landed[feature] = merged_at_rank[f_pr]
    return Graph(parent1=parent1, parent2=parent2, rank=rank, landed=landed)


def parent_lists(commits: Commits, graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR offsets, flat parent shas and the null mask (roots have no parents)."""
    both = np.stack([graph.parent1, graph.parent2], axis=1)
    present = both >= 0
    counts = present.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    values = commits.sha[both[present]]
    return offsets, values, counts == 0
