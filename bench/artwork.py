"""Benchmark of the artwork upload pipeline against a bare Pillow baseline.

    python bench/artwork.py [--json] [--runs N] [--size PX] [--skip-60mpx]

For a 4000x4000 PNG and JPEG made here (gradients, shapes and fine grain, so they compress like
real artwork rather than like flat colour), it times:

* pipeline: `process_artwork` + `store_artwork` into a LocalStorage in a temp dir;
* upload: what a designer waits for: the upload request's half (`normalise_artwork`, the
  print master stored). The web sizes and mockups are drawn afterwards by a job;
* images: that job (`designs.derivatives.draw`: the master read back, web sizes and every
  catalogue mockup drawn and stored), reported beside the others (`images_ratio`);
* baseline: Pillow alone: open, `thumbnail` to the gallery size, save WebP.

Then a JPEG at the pixel limit (7745x7745, 60 Mpx): the request's half and the job's, each in a
fresh process (as the app server and the worker), for their peak RSS.

Times are the best of `--runs` rounds run in one subprocess, each round running baseline,
pipeline and upload in turn, so load from elsewhere skews them alike (the first round also draws
the mockup templates, which a server caches). Each peak RSS comes from one run in a fresh
subprocess, so it is that case's own. With `--json` the last line is one JSON object with
`png_ratio`, `jpeg_ratio` (pipeline / baseline time), `upload_ratio` (upload / baseline, the
worse of the two formats), `images_ratio` (the job / baseline, the worse), `peak_rss_mb`
(the 4000 px cases' worst) and `peak_rss_60mpx_mb`.
Targets: pipeline ratios <= 2.0, upload ratio <= 2.5, peak RSS <= 400 MB, at 60 Mpx <= 450 MB.

Times are wall-clock: the pipeline deflates the print master on every core, the baseline uses
one. The "cpu s" column (all threads) shows the total work, which is what counts on a server
busy with other requests. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageChops, ImageDraw  # noqa: E402 - after the path fix on purpose

RATIO_TARGET = 2.0
UPLOAD_RATIO_TARGET = 2.5
RSS_TARGET_MB = 400
RSS_60MPX_TARGET_MB = 450
#: The largest square under the default 60-megapixel limit.
LIMIT_SIDE = 7745
FORMATS = {"png": "PNG", "jpeg": "JPEG"}


def make_artwork(size: int, seed: int = 2024) -> Image.Image:
    """Deterministic "realistic" artwork: smooth gradients, hard-edged shapes and grain.

    The grain (uniform, +-4 levels of luma) stands in for paper texture or sensor noise; without
    it a generated image compresses far better than anything a designer uploads.
    """
    rnd = random.Random(seed)
    ramp = Image.linear_gradient("L").resize((size, size), Image.Resampling.BICUBIC)
    radial = Image.radial_gradient("L").resize((size, size), Image.Resampling.BICUBIC)
    image = Image.merge("RGB", (ramp, radial, ramp.transpose(Image.Transpose.ROTATE_90)))
    draw = ImageDraw.Draw(image)
    for _ in range(70):
        x, y = rnd.randrange(size), rnd.randrange(size)
        radius = rnd.randrange(size // 40, size // 6)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        if rnd.random() < 0.5:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
        else:
            points = [
                (x + rnd.randint(-radius, radius), y + rnd.randint(-radius, radius))
                for _ in range(5)
            ]
            draw.polygon(points, fill=colour)
    grain = Image.frombytes("L", (size, size), rnd.randbytes(size * size))
    grain = grain.point(lambda v: 124 + v * 8 / 255)  # 124..132, i.e. 128 +- 4
    return ImageChops.add(image, Image.merge("RGB", (grain, grain, grain)), scale=1, offset=-128)


def encode_input(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "jpeg":
        image.save(buffer, "JPEG", quality=90)
    else:
        image.save(buffer, "PNG")  # Pillow's default level, as most tools write
    return buffer.getvalue()


# --- Worker (runs in the subprocess) -----------------------------------------------------------


def run_pipeline(data: bytes, scratch: Path, run: int) -> None:
    from cocreate.core.storage import LocalStorage
    from cocreate.designs.artwork import ArtworkLimits, process_artwork, store_artwork

    processed = process_artwork(data, ArtworkLimits())
    # A fresh directory per run, or idempotent puts would skip the writes after the first run.
    store_artwork(processed, LocalStorage(scratch / f"run{run}"))


def run_upload(data: bytes, scratch: Path, run: int) -> None:
    """What the designer waits for: the upload request's half (checks, print master stored).
    The web sizes and mockups are the job's (`run_images`)."""
    from cocreate.core.storage import LocalStorage
    from cocreate.designs.artwork import ArtworkLimits, normalise_artwork, store_master

    store_master(normalise_artwork(data, ArtworkLimits()), LocalStorage(scratch / f"run{run}"))


def run_images(data: bytes, scratch: Path, run: int) -> None:
    """The derivatives job (`designs.derivatives.draw`): the stored master read back, its web
    sizes and every catalogue mockup drawn and stored. `prepare_images` stored the master
    (untimed); each run copies it into a fresh directory first (a few ms)."""
    from cocreate.core.storage import LocalStorage
    from cocreate.designs.derivatives import draw

    key, pixels = _MASTER[scratch]
    target = scratch / f"run{run}" / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(scratch / "prepared" / key, target)
    draw(LocalStorage(scratch / f"run{run}"), key, pixels)


#: Per scratch directory: the stored master's key and pixel count (`prepare_images`).
_MASTER: dict[Path, tuple[str, int]] = {}


def prepare_images(data: bytes, scratch: Path) -> None:
    from cocreate.core.storage import LocalStorage
    from cocreate.designs.artwork import ArtworkLimits, normalise_artwork, store_master

    normalised = normalise_artwork(data, ArtworkLimits())
    key = store_master(normalised, LocalStorage(scratch / "prepared"))
    _MASTER[scratch] = (key, normalised.width * normalised.height)


def run_baseline(data: bytes, scratch: Path, run: int) -> None:
    from cocreate.designs.artwork import GALLERY_LONG_SIDE

    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((GALLERY_LONG_SIDE, GALLERY_LONG_SIDE))
        image.save(io.BytesIO(), "WEBP")


JOBS = {
    "pipeline": run_pipeline,
    "upload": run_upload,
    "images": run_images,
    "baseline": run_baseline,
}
PREPARE = {"images": prepare_images}


def worker(mode: str, path: Path, runs: int) -> dict[str, Any]:
    """One mode, `runs` times: its time and its own peak RSS."""
    data = path.read_bytes()
    with tempfile.TemporaryDirectory(prefix="bench-artwork-") as scratch:
        if mode in PREPARE:
            PREPARE[mode](data, Path(scratch))
        times, cpu_times = _timed(JOBS[mode], data, Path(scratch), range(runs))
    return {**_best(times, cpu_times), "peak_rss_mb": _peak_rss_kb() / 1024}


def interleaved(path: Path, runs: int) -> dict[str, Any]:
    """Every mode in turn, `runs` rounds, in one process: a burst of load from elsewhere on the
    machine then hits the baseline and the pipeline alike, instead of skewing one ratio."""
    data = path.read_bytes()
    samples: dict[str, tuple[list[float], list[float]]] = {mode: ([], []) for mode in JOBS}
    with tempfile.TemporaryDirectory(prefix="bench-artwork-") as scratch:
        for mode, prepare in PREPARE.items():
            prepare(data, Path(scratch) / mode)
        for run in range(runs):
            for mode, job in JOBS.items():
                times, cpu_times = _timed(job, data, Path(scratch) / mode, [run])
                samples[mode][0].extend(times)
                samples[mode][1].extend(cpu_times)
    return {mode: _best(*samples[mode]) for mode in JOBS}


def _timed(job: Any, data: bytes, scratch: Path, runs: Any) -> tuple[list[float], list[float]]:
    times, cpu_times = [], []
    for run in runs:
        start, cpu_start = time.perf_counter(), time.process_time()
        job(data, scratch, run)
        times.append(time.perf_counter() - start)
        # All threads of the process: shows what the parallel encoders really cost.
        cpu_times.append(time.process_time() - cpu_start)
    return times, cpu_times


def _best(times: list[float], cpu_times: list[float]) -> dict[str, Any]:
    best = times.index(min(times))
    return {"best_s": times[best], "cpu_s": cpu_times[best], "times_s": times}


def _peak_rss_kb() -> float:
    """This process's own peak RSS. getrusage's ru_maxrss survives exec on Linux, so a worker
    would report the driver's peak (it made the 60 Mpx input) when that is higher; VmHWM belongs
    to the worker's own address space."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


# --- Driver ------------------------------------------------------------------------------------


def measure(mode: str, path: Path, runs: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", mode, str(path), "--runs", str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} on {path.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_at_limit(tmp: Path) -> dict[str, Any]:
    """A 60 Mpx JPEG: the request's half and the job's, each in a fresh process (the app server
    and the worker); the higher peak RSS is the number."""
    path = tmp / "limit.jpeg"
    image = make_artwork(LIMIT_SIDE)
    path.write_bytes(encode_input(image, "jpeg"))
    del image
    upload, images = measure("upload", path, 1), measure("images", path, 1)
    return {
        "input_mb": path.stat().st_size / 1024 / 1024,
        "upload_s": upload["best_s"],
        "images_s": images["best_s"],
        "peak_rss_mb": max(upload["peak_rss_mb"], images["peak_rss_mb"]),
        "upload_peak_rss_mb": upload["peak_rss_mb"],
        "images_peak_rss_mb": images["peak_rss_mb"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON summary line")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per case (best is kept)")
    parser.add_argument("--size", type=int, default=4000, help="side of the square test image")
    parser.add_argument("--skip-60mpx", action="store_true", help="skip the pixel-limit case")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        mode, path = args.worker
        if mode == "interleaved":
            print(json.dumps(interleaved(Path(path), args.runs)))
        else:
            print(json.dumps(worker(mode, Path(path), args.runs)))
        return 0

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-artwork-input-") as tmp:
        image = make_artwork(args.size)
        for kind in FORMATS:
            path = Path(tmp) / f"artwork.{kind}"
            path.write_bytes(encode_input(image, kind))
            # Times from interleaved rounds in one process; each mode's peak RSS from one run
            # in a fresh process of its own.
            timings = measure("interleaved", path, args.runs)
            results[kind] = {"input_mb": path.stat().st_size / 1024 / 1024}
            for mode in JOBS:
                rss = measure(mode, path, 1)["peak_rss_mb"]
                results[kind][mode] = {**timings[mode], "peak_rss_mb": rss}
        del image
        limit_case = None if args.skip_60mpx else measure_at_limit(Path(tmp))

    size = f"{args.size}x{args.size}"
    print(f"artwork pipeline vs bare Pillow, {size}, best of {args.runs} runs, fresh process each")
    header = (
        "input", "MB", "pipeline s", "baseline s", "ratio", "cpu s (p/b)", "pipeline RSS",
        "baseline RSS",
    )  # fmt: skip
    print("{:<6} {:>6} {:>11} {:>11} {:>6} {:>12} {:>13} {:>13}".format(*header))
    for kind, result in results.items():
        pipeline, upload, baseline = result["pipeline"], result["upload"], result["baseline"]
        result["ratio"] = pipeline["best_s"] / baseline["best_s"]
        result["upload_ratio"] = upload["best_s"] / baseline["best_s"]
        images = result["images"]
        result["images_ratio"] = images["best_s"] / baseline["best_s"]
        print(
            f"{kind:<6} {result['input_mb']:>6.1f} {pipeline['best_s']:>11.3f} "
            f"{baseline['best_s']:>11.3f} {result['ratio']:>6.2f} "
            f"{pipeline['cpu_s']:>6.2f}/{baseline['cpu_s']:<5.2f} "
            f"{pipeline['peak_rss_mb']:>10.0f} MB {baseline['peak_rss_mb']:>10.0f} MB"
        )
        print(
            f"{'':<6} {'upload':>6} {upload['best_s']:>11.3f} {'':>11} "
            f"{result['upload_ratio']:>6.2f} {upload['cpu_s']:>6.2f}{'':<6} "
            f"{upload['peak_rss_mb']:>10.0f} MB"
        )
        print(
            f"{'':<6} {'job':>6} {images['best_s']:>11.3f} {'':>11} "
            f"{result['images_ratio']:>6.2f} {images['cpu_s']:>6.2f}{'':<6} "
            f"{images['peak_rss_mb']:>10.0f} MB"
        )
    modes = ("pipeline", "upload", "images")
    peak = max(r[m]["peak_rss_mb"] for r in results.values() for m in modes)
    worst = max(r["ratio"] for r in results.values())
    worst_upload = max(r["upload_ratio"] for r in results.values())
    worst_images = max(r["images_ratio"] for r in results.values())
    peak_60 = limit_case["peak_rss_mb"] if limit_case else None
    if limit_case:
        print(
            f"60 Mpx JPEG ({LIMIT_SIDE}x{LIMIT_SIDE}, {limit_case['input_mb']:.1f} MB): upload "
            f"{limit_case['upload_s']:.2f} s, {limit_case['upload_peak_rss_mb']:.0f} MB; job "
            f"{limit_case['images_s']:.2f} s, {limit_case['images_peak_rss_mb']:.0f} MB"
        )
    met = (
        worst <= RATIO_TARGET
        and worst_upload <= UPLOAD_RATIO_TARGET
        and peak <= RSS_TARGET_MB
        and (peak_60 is None or peak_60 <= RSS_60MPX_TARGET_MB)
    )
    verdict = "ok" if met else "MISSED"
    print(
        f"targets: ratio <= {RATIO_TARGET}, upload ratio <= {UPLOAD_RATIO_TARGET}, peak RSS <= "
        f"{RSS_TARGET_MB} MB, at 60 Mpx <= {RSS_60MPX_TARGET_MB} MB -> {verdict}"
    )
    if args.json:
        summary = {
            "png_ratio": round(results["png"]["ratio"], 3),
            "jpeg_ratio": round(results["jpeg"]["ratio"], 3),
            "upload_ratio": round(worst_upload, 3),
            "images_ratio": round(worst_images, 3),
            "peak_rss_mb": round(peak, 1),
            "peak_rss_60mpx_mb": None if peak_60 is None else round(peak_60, 1),
            "targets_met": verdict == "ok",
            "size": size,
            "runs": args.runs,
            "cases": results,
            "limit_case": limit_case,
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
