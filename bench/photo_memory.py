"""Officer photos: peak memory of checking one upload (admin/photos.py), by kind of picture.

Each check runs ``clean_photo`` in a fresh Python process; its peak resident
set size comes from ``os.wait4``, the kernel's accounting of that child
alone. A process that only imports the module is the floor, and a small
phone photo (640 x 480 JPEG) the baseline: every figure is printed with its
ratio to the baseline measured in the same run. The big pictures are what
an attacker sends: one colour, so a few hundred kilobytes hold 40
megapixels; "4 at once" checks four of them in four threads, as four
console uploads arriving together would. "Largest kept" are the largest
pictures of each kind admin/photos.py still decodes.

    .venv/bin/python bench/photo_memory.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Big enough for every picture below: the size in bytes is not what is measured.
MAX_BYTES = 16 * 1024 * 1024

CHILD = """
import sys, threading
sys.path.insert(0, {root!r})
from admin.photos import PhotoError, clean_photo
data = open(sys.argv[1], "rb").read() if len(sys.argv) > 1 else None
copies = int(sys.argv[2]) if len(sys.argv) > 2 else 1

def check():
    try:
        clean_photo(data, {max_bytes})
        print("kept")
    except PhotoError:
        print("refused")

if data is not None:
    threads = [threading.Thread(target=check) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
"""


# The pictures are made by a child too: a child's peak counts the parent's memory at
# the fork, so the parent stays small (it never imports Pillow).
MAKE = """
import sys
from PIL import Image
path, kind, width, height, progressive = sys.argv[1:]
Image.new("RGB", (int(width), int(height)), (180, 120, 90)).save(
    path, kind, **({{"progressive": True}} if progressive == "1" else {{}}))
"""


def make_picture(path: Path, kind: str, size: tuple[int, int], progressive: bool) -> int:
    """Write the picture to ``path``; its size in bytes."""
    args = [str(path), kind, str(size[0]), str(size[1]), "1" if progressive else "0"]
    subprocess.run([sys.executable, "-c", MAKE.format(), *args], check=True)
    return path.stat().st_size


def peak_mb(args: list[str]) -> tuple[float, str]:
    """Peak RSS in MB of a child running the check with ``args``, and what it printed."""
    code = CHILD.format(root=str(ROOT), max_bytes=MAX_BYTES)
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the check failed with exit code {proc.returncode}")
    # ru_maxrss is in kilobytes on Linux.
    return usage.ru_maxrss / 1024, " ".join(sorted(set(out.split())))


def main() -> None:
    cases = [
        ("small photo 640x480 JPEG (baseline)", "JPEG", (640, 480), False, 1),
        ("12 MP JPEG 4000x3000", "JPEG", (4000, 3000), False, 1),
        ("12 MP progressive JPEG 4000x3000", "JPEG", (4000, 3000), True, 1),
        ("12 MP PNG 4000x3000", "PNG", (4000, 3000), False, 1),
        ("40 MP JPEG 7700x5190", "JPEG", (7700, 5190), False, 1),
        ("40 MP progressive JPEG 7700x5190", "JPEG", (7700, 5190), True, 1),
        ("40 MP PNG 7700x5190", "PNG", (7700, 5190), False, 1),
        ("40 MP PNG 7700x5190, 4 at once", "PNG", (7700, 5190), False, 4),
        ("16 MP PNG 4000x4000 (largest kept)", "PNG", (4000, 4000), False, 1),
        ("16 MP PNG 4000x4000, 4 at once", "PNG", (4000, 4000), False, 4),
        ("64 MP JPEG 8000x8000 (largest kept)", "JPEG", (8000, 8000), False, 1),
    ]
    with tempfile.TemporaryDirectory(prefix="photo-memory-") as tmp:
        floor, _ = peak_mb([])
        print(f"{'import only':40s} {floor:8.1f} MB")
        baseline = None
        for number, (label, kind, size, progressive, copies) in enumerate(cases):
            path = Path(tmp) / f"{number}.{kind.lower()}"
            file_bytes = make_picture(path, kind, size, progressive)
            mb, outcome = peak_mb([str(path), str(copies)])
            baseline = baseline or mb
            print(f"{label:40s} {mb:8.1f} MB  x{mb / baseline:5.2f} of the baseline  "
                  f"({file_bytes / 1024:,.0f} KB file, {outcome})")


if __name__ == "__main__":
    main()
