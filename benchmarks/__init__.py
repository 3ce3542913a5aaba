"""paved's benchmarks: `uv run python -m benchmarks.run --scales S,M,L`.

Why a package of its own: the figures in docs/performance.md must be reproducible by anyone with
one command, on demo data of a fixed size, seed and end date, and every heavy measurement runs in
a child process so its wall time, CPU time and peak memory are its own (see `benchmarks.child`).
Nothing here is imported by the product.
"""
