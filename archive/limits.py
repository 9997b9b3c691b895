"""Limits that keep one hostile or enormous file from taking the machine down. Documented in the
README; the workspace's yingjian.toml may change them."""
from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_archive_bytes: int = 4096 * MB     # larger files are listed as a problem, not copied
    max_extract_bytes: int = 512 * MB      # larger files are archived, their text not read
    max_pdf_pages: int = 2000              # text read from this many pages at most
    max_image_pixels: int = 250_000_000    # a 200-megapixel phone photo still passes
    max_zip_members: int = 10_000
    max_zip_bytes: int = 4096 * MB         # total uncompressed size of one zip
    max_zip_ratio: int = 200               # members over 10 MB compressed better than this: bomb
    max_zip_depth: int = 3                 # zips inside zips
    max_office_bytes: int = 512 * MB       # uncompressed XML inside one docx / xlsx
    max_text_chars: int = 5_000_000        # text kept for one file
    # a reader runs in a guarded worker process (archive/guard.py) under these
    max_read_seconds: int = 300            # wall clock for one file (or one OCR page)
    max_read_memory_bytes: int = 3072 * MB  # address space of the worker (POSIX; RSS elsewhere)
    max_read_result_bytes: int = 256 * MB  # what one read may send back
    max_read_attempts: int = 3             # reads started and never finished before giving up

    def job_limits(self) -> JobLimits:
        """The guard's limits for one read."""
        return JobLimits(wall_seconds=self.max_read_seconds,
                         memory_bytes=self.max_read_memory_bytes or None,
                         cpu_seconds=2 * self.max_read_seconds,
                         result_bytes=self.max_read_result_bytes)


@dataclass(frozen=True)
class JobLimits:
    """What one job in a guarded worker (archive/guard.py) may take."""
    wall_seconds: float = 300.0
    memory_bytes: int | None = 2048 * MB     # address space; None: unlimited
    cpu_seconds: int | None = 600
    result_bytes: int = 256 * MB
