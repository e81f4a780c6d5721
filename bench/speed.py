"""Time `seawall sbom` against `syft scan` and `trivy image --format cyclonedx` (SBOM only) on the corpus images.

    python bench/speed.py [NAME ...] [--runs 5] [--trivy-input oci|docker-archive] [--scan [--scanners LIST]]

Every tool reads the same OCI layout (Trivy can read the docker-archive copy instead). Cold runs start with empty
caches (seawall's SEAWALL_CACHE_DIR, Trivy's --cache-dir and every tool's TMPDIR fresh); warm runs reuse the caches of
one priming run. Three floors: `gzip -dc` of the image's layer blobs to /dev/null (reading the layers once, on one
core); `ISA-L ×2`, `python -m isal.igzip -d -c` of every blob, two at a time: the fastest inflater on both cores,
which no tool that decompresses every layer can beat here; and `checked ×2`, the same inflate with the two sha256
a scanner owes every layer (its blob digest and its diff_id, `checked_inflate.py`), two blobs at a time: the
floor of reading an image whose digests are checked. Prints the median wall time of N runs, the median CPU
seconds (user + system, `c`) and the peak RSS (from /usr/bin/time), with ratios seawall/peer and seawall/floor; the
full table is also written to bench/out/speed.json. `--scan --scanners vuln` against `--scan --scanners vuln,secret`
is the cost of the secret scanner. `--tools seawall` times seawall and the floors only. seawall's modules are
byte-compiled first, as installing its wheel does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, corpus_names, docker_archive_of, human_size, layout_of, seawall_command
from layout import layer_blobs
from peers import Peers, ensure_peers, peer_env

TIME = "/usr/bin/time"
ISAL_FLOOR = "ISA-L ×2"
CHECKED_FLOOR = "checked ×2"
Command = Callable[[Path, Path], list[str]]  # (image name's layout, cache/scratch dir) -> argv


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_kib: int
    cpu_seconds: float = 0.0  # user + system of the whole process tree: steadier than wall time on a shared machine


def _become_subreaper() -> None:
    """Adopt the orphans of the timed commands: a multiprocessing forkserver outlives the command that started it
    and is never waited for, so its workers' CPU time would reach no one's rusage and go uncounted."""
    import ctypes

    pr_set_child_subreaper = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")


def _reap_orphans() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def timed(cmd: list[str], scratch: Path, env: dict[str, str]) -> Sample:
    """One run under /usr/bin/time: wall seconds and peak RSS of the process tree's largest member; CPU seconds of
    every process the command started, orphans included (this process is their subreaper)."""
    report = scratch / "time.out"
    tmpdir = scratch / "tmp"
    tmpdir.mkdir(exist_ok=True)
    _reap_orphans()
    before = os.times()
    proc = subprocess.run([TIME, "-f", "%e %M", "-o", str(report), *cmd], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env={**env, "TMPDIR": str(tmpdir)}, check=False)
    _reap_orphans()
    after = os.times()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} … failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-1500:]}")
    seconds, rss = report.read_text().split()[-2:]
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Sample(float(seconds), int(rss), cpu)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def peak_pss(cmd: list[str], env: dict[str, str]) -> int:
    """Peak of the summed PSS (KiB) of the command's whole process tree, sampled every 20 ms from smaps_rollup:
    worker processes share pages with their parent, so adding their RSS would count those twice."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while proc.poll() is None:
        total = 0
        for pid in _tree(proc.pid):
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            total += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        peak = max(peak, total)
        time.sleep(0.02)
    return peak


def measure(cmd_for: Command, layout: Path, runs: int, warm: bool, env: dict[str, str]) -> list[Sample]:
    samples = []
    with tempfile.TemporaryDirectory(prefix="seawall-speed-") as keep:
        if warm:
            timed(cmd_for(layout, Path(keep)), Path(keep), env)  # the priming run fills the caches
        for _ in range(runs):
            if warm:
                samples.append(timed(cmd_for(layout, Path(keep)), Path(keep), env))
                continue
            with tempfile.TemporaryDirectory(prefix="seawall-speed-cold-") as fresh:
                samples.append(timed(cmd_for(layout, Path(fresh)), Path(fresh), env))
    return samples


def byte_compile() -> None:
    """Compile seawall's modules once, as installing its wheel does: an editable install run with
    PYTHONDONTWRITEBYTECODE set would otherwise recompile every module on every start (~45 ms a run)."""
    venv_python = Path(seawall_command()[0]).parent / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    subprocess.run([python, "-c", "import compileall, seawall, sys; "
                    "sys.exit(not compileall.compile_dir(seawall.__path__[0], quiet=1))"], check=True)


def scan_db() -> Path:
    """A vulnerability DB from ../shared/data (PyPA, DSA/DLA lists, Alpine secdb) for `--scan`, built once."""
    db = OUT / "scan-db" / "seawall.db"
    if not db.exists():
        from seawall.db.build import update_db
        from seawall.feeds import select_feeds

        shared = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
        if not shared.is_dir():
            sys.exit(f"--scan needs {shared} to build its DB")
        db.parent.mkdir(parents=True, exist_ok=True)
        update_db(db, select_feeds(["osv", "debian-advisories", "alpine"], [
            f"osv={shared / 'pypa-advisory-db' / 'vulns'}",
            f"debian-advisories={shared / 'debian-security-tracker' / 'data'}",
            f"alpine={shared / 'alpine-secdb'}"]))
    return db


def tools(peers: Peers, trivy_input: str, scan: Path | None = None,
          scanners: str | None = None) -> dict[str, tuple[Command, bool]]:
    """name -> (command builder, whether it has a warm mode). With `scan`, seawall runs a full `seawall scan`
    (inventory, matching against that DB, the table; `scanners` as its --scanners) where the peers still only
    inventory."""
    def seawall(layout: Path, scratch: Path) -> list[str]:
        cache = f"SEAWALL_CACHE_DIR={scratch / 'seawall-cache'}"
        if scan is not None:
            return ["env", cache, *seawall_command(), "scan", f"oci:{layout}", "--db", str(scan),
                    "--skip-db-update", "--format", "table", "--output", str(scratch / "seawall.txt"),
                    *(["--scanners", scanners] if scanners else [])]
        return ["env", cache, *seawall_command(), "sbom",
                f"oci:{layout}", "--format", "cyclonedx-json", "--output", str(scratch / "seawall.cdx.json")]

    def syft(layout: Path, scratch: Path) -> list[str]:
        return peers.syft_sbom(layout, f"cyclonedx-json={scratch / 'syft.cdx.json'}")

    def trivy(layout: Path, scratch: Path) -> list[str]:
        source = layout if trivy_input == "oci" else docker_archive_of(layout.name)
        return [*peers.trivy_sbom(source, scratch / "trivy-cache"), "--output", str(scratch / "trivy.cdx.json")]

    def floor(layout: Path, scratch: Path) -> list[str]:
        blobs = " ".join(f"'{blob}'" for blob in layer_blobs(layout))
        return ["sh", "-c", f"gzip -dc {blobs} > /dev/null"]

    def two_at_a_time(layout: Path, command: str) -> list[str]:
        """`command` once per layer blob ($0), largest first, two running at a time."""
        largest_first = sorted(layer_blobs(layout), key=lambda blob: -blob.stat().st_size)
        # xargs takes its items from stdin (given after the command they would only be its arguments: one run).
        return ["sh", "-c", "printf '%s\\0' \"$@\" | xargs -0 -P 2 -n 1 sh -c \"$0\"", command,
                *map(str, largest_first)]

    def isal_floor(layout: Path, scratch: Path) -> list[str]:
        return two_at_a_time(layout, f"{sys.executable} -m isal.igzip -d -c \"$0\" > /dev/null")

    def checked_floor(layout: Path, scratch: Path) -> list[str]:
        return two_at_a_time(layout, f"{sys.executable} {Path(__file__).with_name('checked_inflate.py')} \"$0\"")

    return {"seawall": (seawall, True), "syft": (syft, False), "trivy": (trivy, True), "gzip -dc": (floor, False),
            ISAL_FLOOR: (isal_floor, False), CHECKED_FLOOR: (checked_floor, False)}


def _fmt(sample: Sample | None) -> str:
    if sample is None:
        return f"{'-':>21}"
    return f"{sample.seconds:6.2f}s {sample.cpu_seconds:5.2f}c {sample.peak_rss_kib / 1024:4.0f}M"


def _ratio(seconds: float, other: Sample | None) -> str:
    return f"{seconds / other.seconds:9.2f}" if other and other.seconds else f"{'-':>9}"


def median(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.seconds for s in samples), max(s.peak_rss_kib for s in samples),
                  statistics.median(s.cpu_seconds for s in samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help="corpus images (default: all built)")
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and mode; the median is reported")
    parser.add_argument("--trivy-input", choices=["oci", "docker-archive"], default="oci")
    parser.add_argument("--scan", action="store_true",
                        help="time a full `seawall scan` (inventory + match + table) instead of `seawall sbom`")
    parser.add_argument("--tools", metavar="LIST",
                        help="comma-separated subset of seawall,syft,trivy to time (the floors always run)")
    parser.add_argument("--pss", action="store_true",
                        help="also sample the peak total PSS of one cold seawall run (all its processes)")
    parser.add_argument("--scanners", metavar="LIST",
                        help="with --scan: seawall's --scanners (vuln, secret, config); default: seawall's own")
    args = parser.parse_args()
    if args.scanners and not args.scan:
        parser.error("--scanners needs --scan")
    db = scan_db() if args.scan else None
    if not Path(TIME).exists():
        sys.exit(f"{TIME} is missing: apt-get install time")
    _become_subreaper()
    peers = ensure_peers()
    env = peer_env()
    byte_compile()
    table: dict[str, dict[str, dict[str, Sample]]] = {}
    pss_of: dict[str, int] = {}
    print(f"median of {args.runs} runs; wall seconds and peak RSS; cpu cores: {os.cpu_count()}", flush=True)
    runners = tools(peers, args.trivy_input, db, args.scanners)
    if args.tools:
        keep = {"seawall", *args.tools.split(","), "gzip -dc", ISAL_FLOOR, CHECKED_FLOOR}
        runners = {name: runner for name, runner in runners.items() if name in keep}
    header = f"{'image':15} {'size':>9} {'mode':5}" + "".join(f"{t:>22}" for t in runners) \
        + f"{'sw/syft':>9}{'sw/trivy':>9}{'sw/floor':>9}{'sw/isal2':>9}{'sw/chk2':>9}"
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    print(header)
    for name in corpus_names(args.names):
        layout = layout_of(name)
        size = sum(blob.stat().st_size for blob in layer_blobs(layout))
        table[name] = {}
        for mode in ("cold", "warm"):
            row: dict[str, Sample] = {}
            for tool, (cmd_for, has_warm) in runners.items():
                if mode == "warm" and not has_warm:
                    continue
                row[tool] = median(measure(cmd_for, layout, args.runs, mode == "warm", env))
            table[name][mode] = row
            if args.pss and mode == "cold":
                with tempfile.TemporaryDirectory(prefix="seawall-speed-pss-") as fresh:
                    pss = peak_pss(runners["seawall"][0](layout, Path(fresh)), {**env, "TMPDIR": fresh})
                pss_of[name] = pss
                print(f"{name:15} peak PSS of a cold seawall run, all processes: {pss / 1024:.0f} MiB", flush=True)
            floor = table[name]["cold"]["gzip -dc"]
            sw = row["seawall"].seconds
            syft_any = row.get("syft") or table[name]["cold"].get("syft")  # Syft keeps no cache: warm is cold
            isal2 = table[name]["cold"][ISAL_FLOOR] if mode == "cold" else None
            checked2 = table[name]["cold"][CHECKED_FLOOR] if mode == "cold" else None
            print(f"{name:15} {human_size(size):>9} {mode:5}"
                  + "".join(f"{_fmt(row.get(tool)):>22}" for tool in runners)
                  + _ratio(sw, syft_any) + _ratio(sw, row.get("trivy")) + _ratio(sw, floor) + _ratio(sw, isal2)
                  + _ratio(sw, checked2),
                  flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "speed.json").write_text(json.dumps(
        {"runs": args.runs, "trivy_input": args.trivy_input, "scan": args.scan, "scanners": args.scanners,
         "load_average_after": os.getloadavg(), "peak_pss_kib": pss_of,
         "results": {
            name: {mode: {tool: s.__dict__ for tool, s in row.items()} for mode, row in modes.items()}
            for name, modes in table.items()}}, indent=2))


if __name__ == "__main__":
    main()
