"""Find secrets in the text files of every layer and in the image config, in one pass per file.

A file is read only when its path is not skipped, it is small enough, and it holds no NUL byte in its first
block (binaries). Its lower-cased bytes are searched for every rule's keywords first; the rules whose keywords
occur are compiled into one alternation (cached per combination) and run once over the text; generic
key = value rules run the same way over just the lines holding their keywords. Nothing here keeps a secret:
a hit is the rule, the line and the redacted match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seawall.catalog.interface import EXEC_BITS, FileEntry
from seawall.fs.globs import compile_globs
from seawall.fs.layered import IndexEntry
from seawall.model.image import Image
from seawall.model.vuln import Severity
from seawall.secrets.redact import entropy, is_placeholder, redact
from seawall.secrets.rules import Rule, RuleSet

ENGINE_VERSION = 1  # bump when scanning code (not the rules) changes what is found
MAX_FILE_SIZE = 4 * 1024 * 1024
MAX_EXECUTABLE_SIZE = 256 * 1024  # executables above this are compiled programs, not scripts
SNIFF = 8192
SKIP_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".webp", ".svg", ".pdf", ".woff", ".woff2", ".ttf", ".otf",
    ".eot", ".zip", ".gz", ".tgz", ".xz", ".bz2", ".zst", ".lz4", ".7z", ".tar", ".jar", ".war", ".ear", ".whl",
    ".egg", ".so", ".a", ".o", ".pyc", ".pyo", ".class", ".mo", ".deb", ".rpm", ".apk", ".db", ".sqlite",
    ".wasm", ".node", ".exe", ".dll", ".dylib", ".mp3", ".mp4", ".wav", ".ogg", ".bin", ".dat", ".pack", ".idx",
)


@dataclass(frozen=True)
class Hit:
    """One secret a rule found in a text: the rule, the 1-based line, and the match already redacted."""

    rule: Rule
    line: int
    match: str  # redacted


class SecretScanner:
    """The compiled form of a `RuleSet`: keyword index, path limits, and alternations built on demand."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules = ruleset.rules
        keywords: dict[bytes, list[int]] = {}
        always: list[int] = []
        for i, rule in enumerate(self.rules):
            for word in rule.keywords:
                keywords.setdefault(word.encode(), []).append(i)
            if not rule.keywords:
                always.append(i)
        self._keywords = [(word, tuple(ids)) for word, ids in keywords.items()]
        self._words = [tuple(word.encode() for word in rule.keywords) for rule in self.rules]
        self._always = frozenset(always)
        # Path limits are compiled when a file is first scanned (compile_globs caches them): a re-scan served from
        # the cache scans no file and should not pay for the regular expressions.
        self._limited = {i: rule.paths for i, rule in enumerate(self.rules) if rule.paths}
        self._limits: dict[int, re.Pattern[str]] = {}
        self._alternations: dict[frozenset[int], re.Pattern[str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_alternations"] = {}  # rebuilt where needed; no point shipping them to worker processes
        return state

    def _limit(self, index: int) -> re.Pattern[str]:
        limit = self._limits.get(index)
        if limit is None:
            limit = self._limits[index] = compile_globs(self._limited[index])
        return limit

    def scan(self, data: bytes, path: str | None) -> list[Hit]:
        """Hits in one file's bytes (path None: image config text, where path-limited rules do not apply)."""
        low = data.lower()
        candidates = set(self._always)
        for word, ids in self._keywords:
            if word in low:
                candidates.update(ids)
        for i in list(candidates):
            limit = self._limit(i) if i in self._limited else None
            if limit is not None and (path is None or not limit.match(path)):
                candidates.discard(i)
        if not candidates:
            return []
        # latin-1 keeps one character per byte, so offsets into `low` are offsets into the text.
        text = data.decode("latin-1")
        whole = frozenset(i for i in candidates if not self.rules[i].generic)
        lined = frozenset(candidates - whole)
        found = self._matches(whole, text, [(0, len(text))]) if whole else []
        if lined:
            found += self._matches(lined, text, _keyword_lines(low, {w for i in lined for w in self._words[i]}))
        specific = [(start, end) for rule, start, end, _ in found if not rule.generic]
        hits = []
        for rule, start, end, secret in found:
            if rule.generic and any(start < e and s < end for s, e in specific):
                continue  # the same text already has a more specific name
            hits.append(Hit(rule, text.count("\n", 0, start) + 1, redact(secret)))
        return hits

    def _alternation(self, ids: frozenset[int]) -> re.Pattern[str]:
        pattern = self._alternations.get(ids)
        if pattern is None:
            parts = [f"(?P<r{i}>{self.rules[i].group_regex(f'r{i}_')})" for i in sorted(ids)]
            pattern = self._alternations[ids] = re.compile("|".join(parts))
        return pattern

    def _matches(self, ids: frozenset[int], text: str,
                 spans: Iterable[tuple[int, int]]) -> list[tuple[Rule, int, int, str]]:
        """(rule, start, end, secret) of every match in the spans that is not a placeholder."""
        pattern = self._alternation(ids)
        order = sorted(ids)
        found = []
        for begin, stop in spans:
            for match in pattern.finditer(text, begin, stop):
                i = next(i for i in order if match.group(f"r{i}") is not None)
                rule = self.rules[i]
                name = f"r{i}_secret"
                group = name if name in pattern.groupindex and match.group(name) is not None else f"r{i}"
                secret = match.group(group)
                if not secret or is_placeholder(secret, generic=rule.generic):
                    continue
                if rule.entropy and entropy(secret) < rule.entropy:
                    continue
                found.append((rule, *match.span(group), secret))
        return found


def _keyword_lines(low: bytes, words: Iterable[bytes]) -> list[tuple[int, int]]:
    """The lines holding any of `words`: generic key = value rules only ever match within one line, and running
    them there only is what keeps them cheap (a case-insensitive alternation scans slowly)."""
    starts: set[int] = set()
    for word in words:
        at = low.find(word)
        while at != -1:
            starts.add(low.rfind(b"\n", 0, at) + 1)
            at = low.find(word, at + len(word))
    spans = []
    for start in sorted(starts):
        stop = low.find(b"\n", start)
        spans.append((start, len(low) if stop == -1 else stop))
    return spans


class SecretAnalyzer:
    """The layer analyzer: chooses text-like files, and scans the ones that turn out to be text."""

    version = ENGINE_VERSION
    max_file_size = MAX_FILE_SIZE

    def __init__(self, ruleset: RuleSet) -> None:
        self.scanner = SecretScanner(ruleset)
        self.name = f"secrets-{ruleset.fingerprint}"  # the rules are part of the cache key
        self._skip_paths = ruleset.skip_paths  # compiled on the first `wants`, as the scanner's path limits
        self._skip: re.Pattern[str] | None = None

    def wants(self, path: str, mode: int, size: int) -> bool:
        if size == 0 or size > MAX_FILE_SIZE or (mode & EXEC_BITS and size > MAX_EXECUTABLE_SIZE):
            return False
        name = path.rpartition("/")[2].lower()
        if name.endswith(SKIP_SUFFIXES) or ".so." in name:
            return False
        skip = self._skip
        if skip is None:
            skip = self._skip = compile_globs(self._skip_paths)
        return not skip.match(path)

    def analyze(self, files: Sequence[FileEntry], entries: Sequence[IndexEntry]) -> dict[str, Any]:
        findings: list[dict[str, Any]] = []
        scanned = 0
        for entry in files:
            try:
                data = entry.read()
            except OSError:
                continue  # a spooled file that vanished is not a secret; the layer read itself was verified
            if b"\0" in data[:SNIFF]:
                continue
            scanned += 1
            for hit in self.scanner.scan(data, entry.path):
                findings.append({"rule": hit.rule.id, "title": hit.rule.title, "severity": hit.rule.severity.value,
                                 "path": entry.path, "line": hit.line, "match": hit.match})
        findings.sort(key=lambda f: (f["path"], f["line"], f["rule"]))
        return {"findings": findings, "scanned": scanned}


def config_texts(image: Image) -> Iterable[tuple[str, int, str]]:
    """(field, position, text) of every image-config string that a build can leave a secret in."""
    runtime = image.runtime_config
    for i, item in enumerate(runtime.get("Env") or [], 1):
        yield "config:Env", i, str(item)
    for i, (key, value) in enumerate(sorted((runtime.get("Labels") or {}).items()), 1):
        yield "config:Labels", i, f"{key}={value}"
    for name in ("Entrypoint", "Cmd"):
        value = runtime.get(name)
        if value:
            yield f"config:{name}", 1, " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    for i, step in enumerate(image.config.get("history") or [], 1):
        if isinstance(step, dict) and step.get("created_by"):
            yield "config:history", i, str(step["created_by"])


def scan_config(image: Image, scanner: SecretScanner) -> list[dict[str, Any]]:
    """Hits in the image config, each value reported once (an ENV line shows up in Env and in history)."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for field_name, position, text in config_texts(image):
        for hit in scanner.scan(text.encode("utf-8", errors="replace"), None):
            if (hit.rule.id, hit.match) in seen:
                continue
            seen.add((hit.rule.id, hit.match))
            out.append({"rule": hit.rule.id, "title": hit.rule.title, "severity": hit.rule.severity.value,
                        "path": field_name, "line": position, "match": hit.match})
    return out


def severity_of(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        return Severity.UNKNOWN
