"""Commits of each counted deployment, from the commit graph (contract §3).

Every counted deployment of a service ships the commits reachable through `parents` from its sha
that no earlier counted deployment of the service reaches. Equivalently each commit carries one
label per service, the smallest counted_seq of the service's deployments whose sha reaches it:
label(c) = min(own seeds, label of every child of c).

How it is computed, and why:
- Not a recursive CTE: the walk needs as many rounds as the longest stretch of history a
  deployment ships (a first deployment ships its whole history), and each round of a recursive
  CTE rebuilds its joins over every edge and every visited commit (> 15 minutes at 2,000
  engineers).
- Nodes are commits, and every service of a repository is a column of one label matrix, so a
  monorepo's history is walked once for all its services instead of once per service (at 10,000
  engineers the demo's monorepo is 439,190 commits shared by 347 services).
- Commits are settled in topological order (Kahn's algorithm, one vectorised round per graph
  level, children before parents): when a commit's turn comes every child has its final labels,
  so each edge is used exactly once per column: O((commits + edges) x columns) work, with the
  rounds a loop over graph depth, never over rows. A cycle (impossible in git, possible in bad
  input) leaves commits unsettled; they are finished by relaxation until nothing changes.
- Only labels of deployments that need the walk (no explicit `deployment_commits`) leave numpy:
  a monorepo service whose deploy tool lists its commits walks only to know what its unlisted
  deployments ship, and the rest of its labels are dropped instead of becoming millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.sqlfiles import run_sql_file

NO_LABEL = np.iinfo(np.int32).max
MAX_COLUMNS = 256  # services labelled together: bounds the matrix at commits x 256 int32


def _csr(n_nodes: int, child: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parents of each node as CSR (indptr, indices) over child→parent edges."""
    order = np.argsort(child, kind="stable")
    indices = parent[order].astype(np.int64)
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.add.at(indptr, child + 1, 1)
    np.cumsum(indptr, out=indptr)
    return indptr, indices


def _expand(
    indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Parents of each node in `nodes` (CSR rows), and for each parent the position of its child."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    owner = np.repeat(np.arange(len(nodes)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return indices[starts[owner] + offsets], owner


def _push(
    label: np.ndarray, parents: np.ndarray, candidates: np.ndarray, *, changed: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Lower each parent's labels to the smallest candidate.

    Returns the distinct parents, how many edges reached each, and (when asked) whether its
    labels dropped.
    """
    if len(parents) > 1:
        order = np.argsort(parents, kind="stable")
        parents, candidates = parents[order], candidates[order]
        first = np.empty(len(parents), bool)
        first[0] = True
        np.not_equal(parents[1:], parents[:-1], out=first[1:])
        starts = np.flatnonzero(first)
    else:
        starts = np.zeros(len(parents), np.int64)
    unique = parents[starts]
    counts = np.empty(len(starts), np.int64)
    counts[:-1] = starts[1:] - starts[:-1]
    counts[-1] = len(parents) - starts[-1]
    before = label[unique]
    lowest = np.minimum(before, np.minimum.reduceat(candidates, starts, axis=0))
    label[unique] = lowest
    return unique, counts, (lowest < before).any(axis=1) if changed else None


def propagate(
    n_nodes: int,
    child: np.ndarray,
    parent: np.ndarray,
    seed_node: np.ndarray,
    seed_label: np.ndarray,
    seed_column: np.ndarray | None = None,
    columns: int = 1,
) -> np.ndarray:
    """Smallest seed label per column reaching each node through child→parent edges.

    Returns an (n_nodes,) array for one column, else (n_nodes, columns); NO_LABEL: none.
    """
    child, parent = child.astype(np.int64), parent.astype(np.int64)
    indptr, indices = _csr(n_nodes, child, parent)
    label = np.full((n_nodes, columns), NO_LABEL, np.int32)
    column = np.zeros(len(seed_node), np.int64) if seed_column is None else seed_column
    np.minimum.at(label, (seed_node.astype(np.int64), column), seed_label.astype(np.int32))

    waiting = np.bincount(parent, minlength=n_nodes)  # children not settled yet
    frontier = np.flatnonzero(waiting == 0)
    settled = len(frontier)
    while len(frontier):
        parents, owner = _expand(indptr, indices, frontier)
        if not len(parents):
            break
        touched, edges, _ = _push(label, parents, label[frontier[owner]])
        waiting[touched] -= edges
        frontier = touched[waiting[touched] == 0]
        settled += len(frontier)
    if settled < n_nodes:  # a cycle: relax from every labelled node until nothing changes
        frontier = np.flatnonzero((label != NO_LABEL).any(axis=1))
        while len(frontier):
            parents, owner = _expand(indptr, indices, frontier)
            if not len(parents):
                break
            touched, _, dropped = _push(label, parents, label[frontier[owner]], changed=True)
            frontier = touched[dropped]
    return label[:, 0] if columns == 1 and seed_column is None else label


@dataclass(frozen=True)
class _Graph:
    """Every walking repository's commits as dense node ids (repository i owns [lo[i], hi[i]))."""

    n_nodes: int
    hi: np.ndarray  # end of each repository's node range, by repo_idx
    service_repo: np.ndarray  # repo_idx of each service, by service_idx
    edges: dict[str, np.ndarray]  # child, parent
    seeds: dict[str, np.ndarray]  # node, service_idx, counted_seq, walks


def _walk(
    graph: _Graph, nodes: np.ndarray, services: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk the subgraph on `nodes` for `services` (column of each); labels of walking deployments.

    A group is either repositories with one walking service each (one column) or one repository
    (a column per service). Returns (node, service_idx, counted_seq) for every label of a
    deployment that has no explicit commits.
    """
    seeds, edges = graph.seeds, graph.edges
    local = np.full(graph.n_nodes, -1, np.int64)
    local[nodes] = np.arange(len(nodes))
    column_of = np.full(len(graph.service_repo), -1, np.int64)
    column_of[services] = columns
    in_edges = local[edges["child"]] >= 0
    s_column = column_of[seeds["service_idx"]]
    in_seeds = (s_column >= 0) & (local[seeds["node"]] >= 0)
    width = int(columns.max(initial=0)) + 1
    label = propagate(
        len(nodes),
        local[edges["child"][in_edges]],
        local[edges["parent"][in_edges]],
        local[seeds["node"][in_seeds]],
        seeds["counted_seq"][in_seeds],
        s_column[in_seeds],
        width,
    )
    # the service of each label cell, broadcastable to the label matrix: with one column the
    # node's repository names it, with one repository the column does
    grid = np.full((len(graph.hi), width), -1, np.int64)
    grid[graph.service_repo[services], columns] = services
    repo_of_node = np.searchsorted(graph.hi, nodes, side="right")
    service = grid[repo_of_node] if width == 1 else grid[repo_of_node[:1]]
    # keep only labels that belong to a deployment needing the walk: a (service, seq) lookup
    # read once per cell, NO_LABEL clipped onto an always-false last column
    walks = in_seeds & seeds["walks"]
    top = int(seeds["counted_seq"].max(initial=0)) + 1
    wanted = np.zeros((len(graph.service_repo) + 1, top + 1), bool)
    wanted[seeds["service_idx"][walks], seeds["counted_seq"][walks]] = True
    rows, cols = np.nonzero(wanted[service, np.minimum(label, top)])
    service = np.broadcast_to(service, label.shape)[rows, cols]
    return nodes[rows], service, label[rows, cols].astype(np.int64)


def label_commits(con: duckdb.DuckDBPyConnection) -> int:
    """Create temp table `_dc_labels(service_id, repo, sha, counted_seq)`; returns its rows.

    Only deployments without explicit commits get rows. Repositories with one walking service
    are walked together in one column; a repository shared by several walking services (a
    monorepo) is walked on its own, its services side by side, MAX_COLUMNS at a time.
    """
    run_sql_file(con, "marts/commit_graph_nodes.sql")
    n_nodes = int(con.execute("SELECT count(*) FROM _cg_commits").fetchone()[0])
    repos = con.execute("SELECT lo, hi, width FROM _cg_repos ORDER BY repo_idx").fetchnumpy()
    services = con.execute(
        "SELECT service_idx, repo_idx, col FROM _cg_services ORDER BY service_idx"
    ).fetchnumpy()
    edges = {k: v.astype(np.int64) for k, v in
             con.execute("SELECT child, parent FROM _cg_edges").fetchnumpy().items()}  # fmt: skip
    raw = con.execute("SELECT node, service_idx, counted_seq, walks FROM _cg_seeds").fetchnumpy()
    seeds = {k: (v.astype(bool) if k == "walks" else v.astype(np.int64)) for k, v in raw.items()}
    lo, hi, width = (repos[k].astype(np.int64) for k in ("lo", "hi", "width"))
    s_idx, s_repo, s_col = (
        services[k].astype(np.int64) for k in ("service_idx", "repo_idx", "col")
    )
    graph = _Graph(n_nodes, hi, s_repo, edges, seeds)

    def span(repos_mask: np.ndarray) -> np.ndarray:
        counts = (hi - lo)[repos_mask]
        starts = np.repeat(lo[repos_mask] - (np.cumsum(counts) - counts), counts)
        return np.arange(int(counts.sum()), dtype=np.int64) + starts

    groups = []
    single = width == 1
    if single.any():
        narrow = np.isin(s_repo, np.flatnonzero(single))
        groups.append((span(single), s_idx[narrow], np.zeros(int(narrow.sum()), np.int64)))
    for repo in np.flatnonzero(~single):
        only = np.zeros(len(lo), bool)
        only[repo] = True
        for first in range(0, int(width[repo]), MAX_COLUMNS):
            chunk = (s_repo == repo) & (s_col >= first) & (s_col < first + MAX_COLUMNS)
            groups.append((span(only), s_idx[chunk], s_col[chunk] - first))
    parts = [_walk(graph, *g) for g in groups]
    node, service_idx, counted_seq = (
        np.concatenate([p[i] for p in parts]) if parts else np.empty(0, np.int64) for i in range(3)
    )
    result = pa.table({"node": node, "service_idx": service_idx, "counted_seq": counted_seq})
    con.register("_cg_result", result)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _dc_labels AS "
            "SELECT s.service_id, s.repo, c.sha, r.counted_seq "
            "FROM _cg_result AS r "
            "JOIN _cg_services AS s USING (service_idx) "
            "JOIN _cg_commits AS c USING (node)"
        )
    finally:
        con.unregister("_cg_result")
    return int(result.num_rows)
