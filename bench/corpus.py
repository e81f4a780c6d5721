"""Build the benchmark corpus: real images as OCI layouts (and docker-archive copies) under bench/corpus/.

    python bench/corpus.py [NAME ...]        # all images when no name is given; existing ones are kept
    python bench/corpus.py --force py-app    # rebuild one

Root filesystems come from mmdebstrap (Debian's apt mirror), old PyPI / npm packages from their registries, Go
binaries and jars from this machine; every layer is the real difference between two successive snapshots, so removed
files become whiteouts. Needs root (mmdebstrap, chroot), pigz, skopeo, rpmbuild.
"""

from __future__ import annotations

import argparse
import functools
import json
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CORPUS, WORK, docker_archive_of, human_size, layout_of
from layout import LayerBlob, add_layer, write_diff_tar, write_image

ROOTS = WORK / "roots"
LAYERS = WORK / "layers"
SUITE = "bookworm"
PYTHON_SITE = "usr/local/lib/python3.11/site-packages"
PYPI_PACKAGES = [  # old releases with published advisories; pure-Python so they install on any interpreter
    "requests==2.19.0", "urllib3==1.24.1", "idna==2.7", "chardet==3.0.4", "certifi==2018.4.16",
    "django==2.2.0", "sqlparse==0.2.4", "pytz==2018.9", "jinja2==2.10", "flask==0.12.2", "werkzeug==0.14.1",
    "itsdangerous==0.24", "click==6.7", "pyjwt==1.5.0", "paramiko==2.4.0",
]
NPM_PACKAGES = [
    "lodash@4.17.4", "minimist@0.0.8", "express@4.16.0", "moment@2.19.3", "handlebars@4.0.11", "jquery@3.3.1",
    "axios@0.18.0", "node-fetch@2.6.0", "marked@0.3.6", "debug@3.1.0",
]
GO_BINARIES = ["/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/umoci"]
JAVA_DIR = Path("/usr/share/java")
WAR_JARS = ["commons-io-2.11.0.jar", "commons-lang3-3.12.0.jar", "guava-31.1-jre.jar", "slf4j-api.jar"]
RPMS = [  # (source name, subpackage or "", epoch, version, release)
    ("openssl", "libs", 1, "3.0.7", "24.el9"), ("zlib", "", 0, "1.2.11", "40.el9"),
    ("tzdata", "", 0, "2023c", "1.el9"), ("bash", "", 0, "5.1.8", "6.el9_1"),
]
ROCKY_OS_RELEASE = """NAME="Rocky Linux"
VERSION="9.2 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.2"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.2 (Blue Onyx)"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
"""
RUNTIMES = ["python3-full,python3-numpy,python3-scipy,python3-pandas", "nodejs,npm", "openjdk-17-jdk-headless,maven"]
DEB_CACHE = WORK / "debs"
BULK_SOURCES = ["/usr/share/doc", "/usr/lib/x86_64-linux-gnu/perl", "/usr/share/perl"]
DEFAULT_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def run(*cmd: str, **kwargs: object) -> None:
    print("  $", " ".join(cmd)[:160], flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


# ---- root filesystem snapshots (each built once, kept under WORK) ----

def snapshot(name: str, build: Callable[[Path], None]) -> Path:
    root = ROOTS / name
    if (ROOTS / f"{name}.done").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"snapshot {name}", flush=True)
    build(root)
    (ROOTS / f"{name}.done").touch()
    return root


def mmdebstrap(root: Path, include: str = "") -> None:
    args = ["mmdebstrap", "--quiet", "--variant=minbase"] + ([f"--include={include}"] if include else [])
    if include:  # the stacked runtime snapshots share their .debs instead of downloading them once per snapshot
        DEB_CACHE.mkdir(parents=True, exist_ok=True)
        args += ["--skip=download/empty", "--skip=essential/unlink",
                 f'--setup-hook=mkdir -p "$1"/var/cache/apt/archives && '
                 f'find {DEB_CACHE} -name "*.deb" -exec cp -t "$1"/var/cache/apt/archives {{}} +',
                 f"--customize-hook=sync-out /var/cache/apt/archives {DEB_CACHE}",
                 '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb']
    root.rmdir()  # mmdebstrap wants to create (or find empty) its target
    run(*args, SUITE, str(root))


def base_root() -> Path:
    return snapshot("base", mmdebstrap)


def python_root() -> Path:
    return snapshot("python-curl", lambda root: mmdebstrap(root, "python3,curl"))


def runtime_root(step: int) -> Path:
    """Debian's own runtimes stacked: Python with the scientific stack, then Node.js, then Java with Maven."""
    include = ",".join(RUNTIMES[: step + 1])
    return snapshot(f"runtimes-{step}", lambda root: mmdebstrap(root, include))


def purged_root() -> Path:
    def build(root: Path) -> None:
        root.rmdir()
        run("cp", "-a", str(python_root()), str(root))
        run("chroot", str(root), "/usr/bin/dpkg", "--purge", "curl")
    return snapshot("python-purged", build)


def pip_tree() -> Path:
    def build(root: Path) -> None:
        run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
            "--target", str(root / PYTHON_SITE), *PYPI_PACKAGES)
    return snapshot("pip-tree", build)


def npm_tree() -> Path:
    def build(root: Path) -> None:
        app = root / "srv" / "app"
        app.mkdir(parents=True)
        (app / "package.json").write_text(json.dumps({"name": "bench-node-app", "version": "1.0.0",
                                                      "private": True}, indent=2))
        run("npm", "install", "--prefix", str(app), "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact",
            "--loglevel=error", *NPM_PACKAGES)
    return snapshot("npm-tree", build)


def go_tree() -> Path:
    def build(root: Path) -> None:
        bindir = root / "usr" / "local" / "bin"
        bindir.mkdir(parents=True)
        for binary in GO_BINARIES:
            shutil.copy2(binary, bindir)
    return snapshot("go-tree", build)


def java_tree() -> Path:
    def build(root: Path) -> None:
        lib = root / "opt" / "app" / "lib"
        lib.mkdir(parents=True)
        for jar in sorted(JAVA_DIR.glob("*.jar")):
            if jar.is_file() and not jar.is_symlink():
                shutil.copy2(jar, lib)
        war = root / "opt" / "app" / "webapps" / "shop.war"
        war.parent.mkdir(parents=True)
        with zipfile.ZipFile(war, "w", zipfile.ZIP_DEFLATED) as out:
            out.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: bench\r\n\r\n")
            out.writestr("WEB-INF/web.xml", "<web-app/>\n")
            for name in WAR_JARS:
                out.write(JAVA_DIR / name, f"WEB-INF/lib/{name}")
    return snapshot("java-tree", build)


def bulk_tree() -> Path:
    def build(root: Path) -> None:
        for source in BULK_SOURCES:
            shutil.copytree(source, root / source.lstrip("/"), symlinks=True)
    return snapshot("bulk-tree", build)


def _spec(source: str, sub: str, epoch: int, version: str, release: str) -> str:
    files = f"/usr/share/{source}{'-' + sub if sub else ''}/README"
    header = f"%package {sub}\nSummary: {source} {sub}\n%description {sub}\n{source} {sub}\n%files {sub}\n" \
        if sub else "%files\n"
    return textwrap.dedent(f"""\
        Name: {source}
        Epoch: {epoch}
        Version: {version}
        Release: {release}
        Summary: {source}
        License: MIT
        BuildArch: noarch
        %description
        {source}
        %install
        mkdir -p %{{buildroot}}{Path(files).parent}
        echo {source} > %{{buildroot}}{files}
        """) + header + files + "\n"


PECL_PACKAGE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<package packagerversion="1.10.13" version="2.0" xmlns="http://pear.php.net/dtd/package-2.0"
 xmlns:tasks="http://pear.php.net/dtd/tasks-1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://pear.php.net/dtd/tasks-1.0 http://pear.php.net/dtd/tasks-1.0.xsd
 http://pear.php.net/dtd/package-2.0 http://pear.php.net/dtd/package-2.0.xsd">
 <name>redis</name>
 <channel>pecl.php.net</channel>
 <summary>PHP extension for interfacing with Redis</summary>
 <description>This extension provides an API for communicating with Redis servers.</description>
 <lead>
  <name>Michael Grunder</name><user>mgrunder</user><email>michael.grunder@gmail.com</email><active>yes</active>
 </lead>
 <date>2022-02-15</date>
 <version><release>5.3.7</release><api>5.3.0</api></version>
 <stability><release>stable</release><api>stable</api></stability>
 <license uri="http://www.php.net/license">PHP</license>
 <notes>phpredis 5.3.7</notes>
 <contents><dir name="/"><file role="src" name="config.m4"/><file role="src" name="redis.c"/></dir></contents>
 <dependencies><required><php><min>7.0.0</min></php><pearinstaller><min>1.4.0b1</min></pearinstaller></required>
 </dependencies>
 <providesextension>redis</providesextension>
 <extsrcrelease/>
</package>
"""
EGG_SDIST = "Werkzeug==0.14.1"  # no install_requires and zip_safe=False: `setup.py install` leaves an egg directory


def php_root() -> Path:
    return snapshot("php-py", lambda root: mmdebstrap(root, "php-cli,php-pear,python3-setuptools"))


def pecl_egg_root() -> Path:
    """`pecl install` (registered, not compiled, from a PECL package made here with `pear package`) and
    `python3 setup.py install` of a real sdist."""
    def build(root: Path) -> None:
        root.rmdir()
        run("cp", "-a", str(php_root()), str(root))
        work = root / "tmp" / "build"
        (work / "redis").mkdir(parents=True)
        (work / "redis" / "package.xml").write_text(PECL_PACKAGE_XML)
        (work / "redis" / "config.m4").write_text("PHP_ARG_ENABLE(redis, whether to enable redis support)\n")
        (work / "redis" / "redis.c").write_text("/* redis */\n")
        run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
            "--disable-pip-version-check", "--dest", str(work), EGG_SDIST)
        script = ("set -e; cd /tmp/build/redis && pear -q package package.xml >/dev/null"
                  " && pecl -q install --nobuild --register-only --nodeps redis-5.3.7.tgz"
                  " && cd /tmp/build && tar xzf Werkzeug-0.14.1.tar.gz && cd Werkzeug-0.14.1"
                  " && python3 setup.py -q install >/dev/null 2>&1")
        run("chroot", str(root), "/bin/sh", "-c", script)
        shutil.rmtree(work)
    return snapshot("pecl-egg", build)


def rpm_root() -> Path:
    def build(root: Path) -> None:
        with tempfile.TemporaryDirectory() as top:
            for source, sub, epoch, version, release in RPMS:
                spec = Path(top) / f"{source}.spec"
                spec.write_text(_spec(source, sub, epoch, version, release))
                run("rpmbuild", "--quiet", "--define", f"_topdir {top}", "-bb", str(spec),
                    stdout=subprocess.DEVNULL)
            rpms = sorted(str(p) for p in Path(top, "RPMS").rglob("*.rpm"))
            (root / "var" / "lib" / "rpm").mkdir(parents=True)
            run("rpm", "--root", str(root), "--dbpath", "/var/lib/rpm", "--initdb")
            run("rpm", "--root", str(root), "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--ignoreos",
                "--noscripts", *rpms)
        etc = root / "etc"
        etc.mkdir(exist_ok=True)
        (etc / "os-release").write_text(ROCKY_OS_RELEASE)
        (etc / "redhat-release").write_text("Rocky Linux release 9.2 (Blue Onyx)\n")
        (etc / "rocky-release").symlink_to("redhat-release")
        (etc / "system-release").symlink_to("rocky-release")
    return snapshot("rpm-root", build)


def ssh_key_tree() -> Path:
    """/root/.ssh/id_rsa holding a key made here and now, so no key material ever lives in the repository."""
    def build(root: Path) -> None:
        ssh = root / "root" / ".ssh"
        ssh.mkdir(parents=True)
        (root / "root").chmod(0o700)
        ssh.chmod(0o700)
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-quiet",
            "-out", str(ssh / "id_rsa"))
        (ssh / "id_rsa").chmod(0o600)
    return snapshot("ssh-key-tree", build)


def ssh_key_removed_tree() -> Path:
    """The key tree after `rm /root/.ssh/id_rsa`: diffed against it, the layer is the key's whiteout."""
    def build(root: Path) -> None:
        root.rmdir()
        run("cp", "-a", str(ssh_key_tree()), str(root))
        (root / "root" / ".ssh" / "id_rsa").unlink()
    return snapshot("ssh-key-removed", build)


# ---- layers (each diff computed once and reused by every image that stacks it) ----

def layer(key: str, old: Callable[[], Path] | None, new: Callable[[], Path], created_by: str) -> LayerBlob:
    meta = LAYERS / f"{key}.json"
    if meta.exists():
        return LayerBlob(**json.loads(meta.read_text()))
    old_root, new_root = (old() if old else None), new()
    LAYERS.mkdir(parents=True, exist_ok=True)
    print(f"layer {key}", flush=True)
    tar_path = LAYERS / f"{key}.tar"
    write_diff_tar(old_root, new_root, tar_path)
    blob = add_layer(LAYERS / key, tar_path, created_by)
    meta.write_text(json.dumps(blob.__dict__))
    return blob


def base_layer() -> LayerBlob:
    return layer("base", None, base_root, f"mmdebstrap --variant=minbase {SUITE}")


def python_layers() -> list[LayerBlob]:
    return [layer("python-curl", base_root, python_root, "RUN apt-get install -y python3 curl"),
            layer("purge-curl", python_root, purged_root, "RUN dpkg --purge curl"),
            layer("pip", None, pip_tree, "RUN pip install --target /" + PYTHON_SITE + " " + " ".join(PYPI_PACKAGES))]


def npm_layer() -> LayerBlob:
    return layer("npm", None, npm_tree, "RUN npm install --prefix /srv/app " + " ".join(NPM_PACKAGES))


def go_layer() -> LayerBlob:
    return layer("go", None, go_tree, "COPY docker-registry skopeo umoci /usr/local/bin/")


def java_layer() -> LayerBlob:
    return layer("java", None, java_tree, "COPY lib/ webapps/ /opt/app/")


def secret_layers() -> list[LayerBlob]:
    return [layer("ssh-key", None, ssh_key_tree, "COPY id_rsa /root/.ssh/id_rsa"),
            layer("ssh-key-rm", ssh_key_tree, ssh_key_removed_tree, "RUN rm /root/.ssh/id_rsa")]


def pecl_egg_layers() -> list[LayerBlob]:
    return [layer("php-py", base_root, php_root, "RUN apt-get install -y php-cli php-pear python3-setuptools"),
            layer("pecl-egg", php_root, pecl_egg_root, "RUN pecl install redis && python3 setup.py install")]


def runtime_layers() -> list[LayerBlob]:
    previous: Callable[[], Path] = base_root
    blobs = []
    for step, packages in enumerate(RUNTIMES):
        blobs.append(layer(f"runtimes-{step}", previous, functools.partial(runtime_root, step),
                           "RUN apt-get install -y " + packages.replace(",", " ")))
        previous = functools.partial(runtime_root, step)
    return blobs


def token_env() -> dict[str, object]:
    """An image config whose ENV carries a GitHub token of the real shape, drawn afresh for every build."""
    token = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    return {"Env": [DEFAULT_ENV, f"GITHUB_TOKEN={token}"], "Cmd": ["/bin/bash"]}


IMAGES: dict[str, Callable[[], list[LayerBlob]]] = {
    "debian-minbase": lambda: [base_layer()],
    "py-app": lambda: [base_layer(), *python_layers()],
    "node-app": lambda: [base_layer(), npm_layer()],
    "go-bins": lambda: [base_layer(), go_layer()],
    "java-app": lambda: [base_layer(), java_layer()],
    "rpm-db": lambda: [layer("rpm", None, rpm_root, "ADD rocky-rpmdb.tar /")],
    "php-egg": lambda: [base_layer(), *pecl_egg_layers()],
    "big": lambda: [base_layer(), *python_layers(), npm_layer(), go_layer(), java_layer(),
                    layer("bulk", None, bulk_tree, "COPY /usr/share/doc /usr/share/locale ... /")],
    "runtimes": lambda: [base_layer(), *runtime_layers()],
    "secret-deleted": lambda: [base_layer(), *secret_layers()],
    "secret-env": lambda: [base_layer()],
}
CONFIGS: dict[str, Callable[[], dict[str, object]]] = {"secret-env": token_env}  # others get write_image's default


def build_image(name: str, force: bool = False) -> Path:
    dest = layout_of(name)
    if force:
        shutil.rmtree(dest, ignore_errors=True)
        docker_archive_of(name).unlink(missing_ok=True)
    if not (dest / "index.json").exists():
        blobs = IMAGES[name]()
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "blobs" / "sha256").mkdir(parents=True)
        for blob in blobs:
            hexd = blob.digest.split(":", 1)[1]
            target = tmp / "blobs" / "sha256" / hexd
            if not target.exists():
                shutil.copyfile(next(LAYERS.glob(f"*/blobs/sha256/{hexd}")), target)
        write_image(tmp, blobs, config=CONFIGS[name]() if name in CONFIGS else None)
        tmp.rename(dest)
    archive = docker_archive_of(name)
    if not archive.exists():
        tmp_archive = archive.with_suffix(".tmp")
        tmp_archive.unlink(missing_ok=True)
        run("skopeo", "--insecure-policy", "copy", "--quiet", f"oci:{dest}:latest",
            f"docker-archive:{tmp_archive}:bench/{name}:latest")
        tmp_archive.rename(archive)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", choices=[[], *IMAGES], metavar="NAME", help=", ".join(IMAGES))
    parser.add_argument("--force", action="store_true", help="rebuild the named images (snapshots are kept)")
    args = parser.parse_args()
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name in args.names or IMAGES:
        layout = build_image(name, args.force)
        blobs = sum(p.stat().st_size for p in (layout / "blobs").rglob("*") if p.is_file())
        archive = human_size(docker_archive_of(name).stat().st_size)
        print(f"{name:16} layout {human_size(blobs):>9}   docker-archive {archive:>9}   {layout}", flush=True)


if __name__ == "__main__":
    main()
