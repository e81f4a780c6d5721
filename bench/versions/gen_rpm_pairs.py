"""Regenerate tests/assets/versions/rpm-pairs.txt with rpm's own rpm.vercmp() (Lua, rpm >= 4.16) as the reference.

There is no RPM database on a Debian machine, so the versions are EVRs as RHEL, Fedora, SUSE and Amazon Linux
ship them (including '~' pre-releases and '^' snapshots), variants of them, and the real Debian version strings
of dpkg-pairs.txt, which exercise rpmvercmp's segment rules on unusual separators.
"""

from __future__ import annotations

import random
import subprocess

from pairs import ASSETS, make_pairs, write_fixture

TOTAL = 4000
BATCH = 400

SHIPPED = """
openssl 1:1.1.1k-12.el8_9 1:1.1.1k-9.el8_7 1:1.1.1k-7.el8_6 1:1.1.1g-15.el8_3 1:3.0.7-27.el9 1:3.0.7-24.el9
openssl 1:3.0.1-47.el9_1
kernel 4.18.0-553.el8_10 4.18.0-513.24.1.el8_9 4.18.0-477.10.1.el8_8 5.14.0-427.13.1.el9_4 5.14.0-362.8.1.el9_3
kernel 5.14.0-70.13.1.el9_0
glibc 2.28-236.el8_9.13 2.28-225.el8_8.11 2.28-164.el8 2.34-100.el9_4.2 2.34-83.el9_3.7 2.34-60.el9 2.38-16.fc39
glibc 2.39-4.fc40
bash 4.4.20-4.el8_6 4.4.20-5.el8 5.1.8-9.el9 5.1.8-6.el9_1 5.2.26-3.fc40 5.2.15-3.fc38
curl 7.61.1-34.el8_10.2 7.61.1-33.el8_9.5 7.76.1-29.el9_4.1 7.76.1-26.el9_3.2 8.6.0-8.fc40 8.2.1-5.fc39
systemd 239-82.el8_10.1 239-78.el8 252-32.el9_4 252-18.el9 255.4-1.fc40 254.10-1.fc39
python3 3.6.8-62.el8_10 3.6.8-56.el8_9.3 3.9.18-3.el9_4.3 3.9.16-1.el9_2.1 3.12.2-2.fc40 3.11.6-1.fc39
tzdata 2024a-1.el9 2023c-1.el9 2022g-1.el8 2024a-1.fc40
vim 2:8.0.1763-19.el8_6.4 2:8.2.2637-20.el9_1 2:9.1.158-1.fc40 2:9.0.2081-1.fc39
ca-certificates 2023.2.60_v7.0.306-90.1.el9_2 2023.2.60_v7.0.306-80.0.el8_8 2024.2.69_v8.0.303-91.4.el9_4
sqlite 3.26.0-19.el8_9 3.34.1-7.el9_3 3.45.1-2.fc40
zlib 1.2.11-40.el9 1.2.11-41.el9 1.2.11-25.el8 1.3.1-1.fc40
libxml2 2.9.7-18.el8_10.1 2.9.13-6.el9_4 2.12.5-1.fc40
nss 3.90.0-7.el8_10 3.101.0-7.el9_2 3.99.0-1.fc40
java-17-openjdk 1:17.0.11.0.9-2.el9 1:17.0.10.0.7-1.el9 1:17.0.9.0.9-1.el8
golang 1.21.9-2.el9_4 1.20.12-1.el9_3 1.22.2-1.fc40 1.22.0~rc1-1.fc40
rpm 4.16.1.3-29.el9 4.14.3-31.el8 4.19.1.1-1.fc40 4.19.0~beta1-1.fc40 4.18.99^20230918git7a3f0b5-1.fc40
python-pip 21.2.3-8.el9 9.0.3-24.el8 23.3.2-1.fc40 24.0~b1-1.fc41
firefox 115.10.0-1.el9_4 115.9.1-1.el9_3 125.0.2-1.fc40 126.0~b1-1.fc41
amazon-openssl 1:1.0.2k-24.amzn2.0.12 1:3.0.8-1.amzn2023.0.11 1:3.0.8-1.amzn2023.0.3
suse-glibc 2.31-150300.63.1 2.31-150300.46.1 2.38-150600.12.1
mariner-curl 8.5.0-1.cm2 8.4.0-3.cm2 7.86.0-6.cm2
""".strip()


def collect() -> dict[str, list[str]]:
    rng = random.Random(4)
    groups: dict[str, list[str]] = {}
    for line in SHIPPED.splitlines():
        name, *evrs = line.split()
        variants = set(groups.get(name, [])) | set(evrs)
        for evr in evrs:
            epoch, _, rest = evr.rpartition(":")
            version, _, release = rest.rpartition("-")
            # Plausible neighbours: next release, a '~' pre-release and a '^' snapshot of the same version.
            bumped = (
                release.replace(release.split(".")[0], str(int(release.split(".")[0]) + 1), 1)
                if release.split(".")[0].isdigit()
                else release
            )
            for v in (
                f"{version}-{bumped}",
                f"{version}~rc{rng.randint(1, 3)}-{release}",
                f"{version}^{rng.randint(2020, 2024)}0101git{rng.randrange(16**7):07x}-{release}",
                version,
            ):
                variants.add(f"{epoch}:{v}" if epoch else v)
        groups[name] = sorted(variants)
    debian: dict[str, list[str]] = {"debian": []}
    dpkg_pairs = ASSETS / "dpkg-pairs.txt"
    if dpkg_pairs.exists():
        for line in dpkg_pairs.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                a, _, b = line.split(" ")
                debian["debian"] += [a, b]
    groups["debian"] = sorted(set(debian["debian"]))[::4]
    return groups


def lua_string(s: str) -> str:
    assert "]==]" not in s
    return f"[==[{s}]==]"


def reference(pairs: list[tuple[str, str]]) -> list[int]:
    results: list[int] = []
    for start in range(0, len(pairs), BATCH):
        chunk = pairs[start : start + BATCH]
        body = " ".join(f"print(rpm.vercmp({lua_string(a)}, {lua_string(b)}) .. ';')" for a, b in chunk)
        out = subprocess.run(["rpm", "--eval", f"%{{lua: {body}}}"], capture_output=True, text=True, check=True)
        # print() in rpm's Lua appends to the macro output without a newline, hence the ';' after each result.
        values = [int(x) for x in out.stdout.split(";") if x.strip()]
        assert len(values) == len(chunk), (len(values), len(chunk))
        results += values
    return results


def main() -> None:
    pairs = make_pairs(collect(), TOTAL, same_group_share=0.7)
    pairs += [
        ("1.0", "1.0-1"),
        ("1.0-", "1.0"),
        (":1.0", "0:1.0"),
        ("1.0~rc1", "1.0"),
        ("1.0^git1", "1.0"),
        ("1.0^git1", "1.0.1"),
        ("1.0~rc1^git1", "1.0~rc1"),
        ("1.0a", "1.0.1"),
        ("1.010", "1.9"),
        ("a", "1"),
    ]
    results = reference(pairs)
    rpm_version = subprocess.run(["rpm", "--version"], capture_output=True, text=True).stdout.strip()
    write_fixture(
        "rpm",
        [f"reference: {rpm_version}, rpm.vercmp() in rpm's Lua", "generated by bench/versions/gen_rpm_pairs.py"],
        ((a, r, b) for (a, b), r in zip(pairs, results, strict=True)),
    )


if __name__ == "__main__":
    main()
