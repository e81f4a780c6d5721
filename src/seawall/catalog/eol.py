"""When each distribution release stops getting security updates.

Dates as of 2026-11 from endoflife.date (github.com/endoflife-date/endoflife.date, products/*.md) and the
distributions' own pages: wiki.debian.org/DebianReleases and wiki.debian.org/LTS (Debian: the end of LTS, since
Debian LTS fixes are published in the same security tracker), wiki.ubuntu.com/Releases (Ubuntu: end of standard
security maintenance; ESM needs a subscription), alpinelinux.org/releases (end of main-repository support),
access.redhat.com/support/policy/updates/errata (RHEL: end of maintenance support), wiki.centos.org/About/Product,
the Rocky and AlmaLinux release pages, fedorapeople.org/groups/schedule, aws.amazon.com/amazon-linux-2/faqs
(Amazon Linux 2 extended to 2026-06-30), and suse.com/lifecycle (SLES general support of each service pack).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from seawall.model.sbom import Distro

_D = date.fromisoformat

# distro id → {release cycle → last day of support}
EOL_DATES: dict[str, dict[str, date]] = {
    "debian": {
        "6": _D("2016-02-29"),
        "7": _D("2018-05-31"),
        "8": _D("2020-06-30"),
        "9": _D("2022-06-30"),
        "10": _D("2024-06-30"),
        "11": _D("2026-08-31"),
        "12": _D("2028-06-10"),
        "13": _D("2030-06-30"),
    },
    "ubuntu": {
        "14.04": _D("2019-04-02"),
        "16.04": _D("2021-04-02"),
        "18.04": _D("2023-05-31"),
        "18.10": _D("2019-07-18"),
        "19.04": _D("2020-01-23"),
        "19.10": _D("2020-07-06"),
        "20.04": _D("2025-05-31"),
        "20.10": _D("2021-07-22"),
        "21.04": _D("2022-01-20"),
        "21.10": _D("2022-07-14"),
        "22.04": _D("2027-04-01"),
        "22.10": _D("2023-07-20"),
        "23.04": _D("2024-01-20"),
        "23.10": _D("2024-07-12"),
        "24.04": _D("2029-05-31"),
        "24.10": _D("2025-07-10"),
        "25.04": _D("2026-01-17"),
        "25.10": _D("2026-07-01"),
        "26.04": _D("2031-04-30"),
    },
    "alpine": {
        "3.5": _D("2018-11-01"),
        "3.6": _D("2019-05-01"),
        "3.7": _D("2019-11-01"),
        "3.8": _D("2020-05-01"),
        "3.9": _D("2020-11-01"),
        "3.10": _D("2021-05-01"),
        "3.11": _D("2021-11-01"),
        "3.12": _D("2022-05-01"),
        "3.13": _D("2022-11-01"),
        "3.14": _D("2023-05-01"),
        "3.15": _D("2023-11-01"),
        "3.16": _D("2024-05-23"),
        "3.17": _D("2024-11-22"),
        "3.18": _D("2025-05-09"),
        "3.19": _D("2025-11-01"),
        "3.20": _D("2026-04-01"),
        "3.21": _D("2026-11-01"),
        "3.22": _D("2027-05-01"),
        "3.23": _D("2027-11-01"),
    },
    "rhel": {"6": _D("2020-11-30"), "7": _D("2024-06-30"), "8": _D("2029-05-31"), "9": _D("2032-05-31"),
             "10": _D("2035-05-31")},
    "centos": {"6": _D("2020-11-30"), "7": _D("2024-06-30"), "8": _D("2021-12-31"), "9": _D("2027-05-31")},
    "rocky": {"8": _D("2029-05-31"), "9": _D("2032-05-31"), "10": _D("2035-05-31")},
    "almalinux": {"8": _D("2029-05-31"), "9": _D("2032-05-31"), "10": _D("2035-05-31")},
    "ol": {"7": _D("2024-12-31"), "8": _D("2029-07-31"), "9": _D("2032-06-30")},
    "fedora": {
        "35": _D("2022-12-13"),
        "36": _D("2023-05-16"),
        "37": _D("2023-12-05"),
        "38": _D("2024-05-21"),
        "39": _D("2024-11-26"),
        "40": _D("2025-05-13"),
        "41": _D("2025-12-15"),
    },
    "amzn": {"2018.03": _D("2023-12-31"), "2": _D("2026-06-30"), "2023": _D("2029-06-30")},
    "sles": {
        "12.5": _D("2024-10-31"),
        "15.1": _D("2021-01-31"),
        "15.2": _D("2021-12-31"),
        "15.3": _D("2022-12-31"),
        "15.4": _D("2023-12-31"),
        "15.5": _D("2024-12-31"),
        "15.6": _D("2025-12-31"),
    },
    "photon": {"3.0": _D("2024-03-01")},  # VMware's Photon OS lifecycle page
    "opensuse-leap": {
        "15.2": _D("2022-01-04"),
        "15.3": _D("2022-12-31"),
        "15.4": _D("2023-12-31"),
        "15.5": _D("2024-12-31"),
        "15.6": _D("2026-04-30"),
    },
}


def release_cycle(distro: Distro) -> str | None:
    """The key a distribution's releases are tracked by: `12`, `22.04`, `3.19`, `2023`, `15.5`."""
    version = distro.version_id
    if not version:
        return None
    parts = version.split(".")
    if distro.id in ("ubuntu", "alpine", "sles", "opensuse-leap", "photon"):
        return ".".join(parts[:2])
    if distro.id == "amzn" and parts[0] not in ("2", "2023"):
        return ".".join(parts[:2])  # the first Amazon Linux: 2018.03
    return parts[0]


def eol_date(distro: Distro) -> date | None:
    cycle = release_cycle(distro)
    if cycle is None:
        return None
    return EOL_DATES.get(distro.id, {}).get(cycle)


def is_eol(distro: Distro, today: date) -> bool | None:
    """Past the end of support on `today`; None when the release is not in the table (edge, sid, unknown)."""
    end = eol_date(distro)
    return None if end is None else today > end


def with_eol(distro: Distro, today: date | None = None) -> Distro:
    """`distro` with its end-of-support date and whether `today` (default: the clock's) is past it; unchanged when
    the release is not in the table."""
    end = eol_date(distro)
    if end is None:
        return distro
    return replace(distro, eol_date=end.isoformat(), eol=(today or date.today()) > end)
