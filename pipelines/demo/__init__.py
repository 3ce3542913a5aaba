"""The demo organisation generator: a seeded, realistic company as canonical records.

`generate(DemoSpec(...))` builds every entity of the data contract with numpy (no per-record
loops), `write_batch` writes them as a canonical batch folder and `story` measures the planted
effects back from the data: golden paths adopted team by team shrink lead times, change failures
and onboarding time, and raise deployment frequency and self-service.
"""

from pipelines.demo.assemble import generate
from pipelines.demo.spec import DemoSpec, last_sunday_before
from pipelines.demo.story import PLANTED, story
from pipelines.demo.writer import FORMATS, read_batch, write_batch

__all__ = [
    "FORMATS",
    "PLANTED",
    "DemoSpec",
    "generate",
    "last_sunday_before",
    "read_batch",
    "story",
    "write_batch",
]
