"""Secret rules on file contents: each built-in rule finds its format, placeholders and look-alikes stay quiet.

Every secret here is generated when the test runs (random, in the real format), so the repository itself holds
nothing a secret scanner should report.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from seawall.errors import InputError
from seawall.secrets import SecretScanner, load_rules
from seawall.secrets.redact import entropy, redact

RNG = random.Random(7)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def openssh_pem() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption()).decode()


def gcp_key_json() -> str:
    body = ec_pem().replace("EC PRIVATE KEY", "PRIVATE KEY")
    return json.dumps({"type": "service_account", "project_id": "p", "private_key_id": rand(40),
                       "private_key": body, "client_email": "x@p.iam.gserviceaccount.com"}, indent=2)


def jwt() -> str:
    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': rand(8), 'iat': 1700000000})}.{rand(43)}"


@pytest.fixture(scope="module")
def scanner() -> SecretScanner:
    return SecretScanner(load_rules())


def rules_found(scanner: SecretScanner, text: str, path: str | None = "/app/settings") -> list[str]:
    return [hit.rule.id for hit in scanner.scan(text.encode(), path)]


POSITIVE = [
    ("private-key", lambda: ec_pem(), "/app/key.pem"),
    ("private-key", lambda: openssh_pem(), "/root/.ssh/id_ed25519"),
    ("aws-access-key-id", lambda: f"aws_access_key_id = AKIA{rand(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}\n",
     "/root/.aws/credentials"),
    ("aws-secret-access-key", lambda: f"aws_secret_access_key = {rand(40, ALNUM + '/+')}\n", "/root/.aws/credentials"),
    ("gcp-service-account", gcp_key_json, "/app/sa.json"),
    ("azure-storage-account-key",
     lambda: f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={rand(86, ALNUM + '+/')}==;"
             "EndpointSuffix=core.windows.net\n", "/app/appsettings.json"),
    ("github-token", lambda: f"GH={'ghp'}_{rand(36)}\n", "/app/deploy.sh"),
    ("github-token", lambda: f"token: gho_{rand(36)}\n", "/app/config.yml"),
    ("github-fine-grained-token", lambda: f"github_pat_{rand(22)}_{rand(59)}\n", "/app/.env"),
    ("gitlab-token", lambda: f"CI_TOKEN glpat-{rand(20)}\n", "/app/ci.sh"),
    ("slack-token", lambda: f"bot = 'xoxb-{rand(11, string.digits)}-{rand(12, string.digits)}-{rand(24)}'\n",
     "/app/bot.py"),
    ("slack-webhook", lambda: f"url=https://hooks.slack.com/services/T{rand(8).upper()}/B{rand(8).upper()}/{rand(24)}\n",
     "/app/notify.sh"),
    ("stripe-secret-key", lambda: f"Stripe.api_key = '{'sk'}_live_{rand(24)}'\n", "/app/pay.rb"),
    ("npm-token", lambda: f"NPM_AUTH=npm_{rand(36)}\n", "/app/publish.sh"),
    ("npmrc-auth", lambda: f"//registry.npmjs.org/:_authToken={rand(36)}\n", "/root/.npmrc"),
    ("pypi-token", lambda: f"password = pypi-AgEIcHlwaS5vcmc{rand(60, ALNUM + '-_')}\n", "/root/.pypirc"),
    ("jwt", lambda: f"Authorization: Bearer {jwt()}\n", "/app/request.http"),
    ("netrc-password", lambda: f"machine github.com\n  login deploy\n  password {rand(20)}\n", "/root/.netrc"),
    ("pgpass-password", lambda: f"db.internal:5432:app:app:{rand(16)}\n", "/root/.pgpass"),
    ("docker-config-auth",
     lambda: json.dumps({"auths": {"registry.example.com": {"auth": base64.b64encode(b"u:" + rand(20).encode())
                                                            .decode()}}}), "/root/.docker/config.json"),
    ("generic-secret", lambda: f'DB_PASSWORD="{rand(6)}9!{rand(6)}"\n', "/app/.env"),
    ("generic-secret", lambda: f"client_secret: {rand(32)}\n", "/etc/app/config.yaml"),
]


@pytest.mark.parametrize(("rule", "make", "path"), POSITIVE, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(POSITIVE)])
def test_each_builtin_rule_finds_its_format(scanner: SecretScanner, rule: str, make, path: str) -> None:
    text = make()
    hits = scanner.scan(text.encode(), path)
    assert rule in [h.rule.id for h in hits]
    for hit in hits:
        assert "…" in hit.match and len(hit.match) < 24  # redacted: a short prefix and the length, nothing more


NEGATIVE = [
    ("env reference", "GITHUB_TOKEN=${GITHUB_TOKEN}\n"),
    ("shell variable", 'password="$DB_PASSWORD"\n'),
    ("template", "password: {{ .Values.db.password }}\n"),
    ("angle placeholder", "password=<password>\n"),
    ("changeme", "POSTGRES_PASSWORD=changeme\n"),
    ("xxx", "api_key = xxxxxxxxxxxxxxxx\n"),
    ("aws documentation key", "aws_access_key_id=AKIAIOSFODNN7EXAMPLE\n"),
    ("too short", 'password = "hunter2"\n'),
    ("attribute access", "secret = settings.SECRET_KEY\n"),
    ("function call", "token = self._fetch_token()\n"),
    ("comparison", 'if password == "":\n'),
    ("low entropy", "password=aaaaaaaaab\n"),
    ("file reference", "password_file=/run/secrets/db\n"),
    ("pem header in code", 'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n'),
    ("public key", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + "A" * 40 + "\n"),
    ("word value", "token_type: bearer_token_value_here\n"),
]


@pytest.mark.parametrize(("why", "text"), NEGATIVE, ids=[w for w, _ in NEGATIVE])
def test_placeholders_and_lookalikes_are_not_secrets(scanner: SecretScanner, why: str, text: str) -> None:
    assert rules_found(scanner, text) == []


def test_path_limited_rules_apply_only_to_their_files(scanner: SecretScanner) -> None:
    netrc = f"machine example.org login me password {rand(16)}\n"
    assert rules_found(scanner, netrc, "/home/app/.netrc") == ["netrc-password"]
    assert rules_found(scanner, netrc, "/home/app/notes.txt") == []
    assert rules_found(scanner, netrc, None) == []  # image config text has no path


def test_specific_rule_wins_over_generic_assignment(scanner: SecretScanner) -> None:
    assert rules_found(scanner, f"GITHUB_TOKEN=ghp_{rand(36)}\n") == ["github-token"]


def test_line_numbers_are_one_based(scanner: SecretScanner) -> None:
    text = "# config\n\nexport API_KEY=" + rand(12) + "7Q\n"
    assert [h.line for h in scanner.scan(text.encode(), "/app/env.sh")] == [3]


def test_redaction_never_reveals_more_than_a_quarter() -> None:
    assert redact("abcdefgh") == "ab…(8 chars)"
    assert redact("x" * 40) == "xxxx…(40 chars)"
    assert redact("abc") == "…(3 chars)"
    assert entropy("aaaa") == 0.0 and entropy("abcd") == 2.0


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secret-config.yaml"
    path.write_text(text)
    return path


def test_config_adds_disables_and_allows(tmp_path: Path) -> None:
    config = write(tmp_path, """
rules:
  - id: acme-key
    title: ACME API key
    severity: high
    keywords: [acme_]
    regex: '(?i)(?P<secret>acme_[a-z0-9]{24})'
disable: [jwt]
allow:
  paths: ["/srv/fixtures-*/**"]
  rules: [generic-secret]
""")
    ruleset = load_rules(config)
    scanner = SecretScanner(ruleset)
    key = "ACME_" + rand(24).lower()
    assert [h.rule.id for h in scanner.scan(f"k={key}\n".encode(), "/app/x")] == ["acme-key"]
    assert "jwt" not in ruleset.by_id()
    assert ruleset.allowed("acme-key", "/srv/fixtures-1/a.txt") and not ruleset.allowed("acme-key", "/srv/a.txt")
    assert ruleset.allowed("generic-secret", "/anywhere")
    assert ruleset.fingerprint != load_rules().fingerprint  # a new rule means new per-layer cache entries


@pytest.mark.parametrize(("text", "message"), [
    ("rules:\n  - id: bad\n    regex: '([a-z'\n", "invalid regex"),
    ("disable: [no-such-rule]\n", "unknown rule"),
    ("ignore: []\n", "unknown key"),
    ("rules:\n  - id: x\n    regex: 'x'\n    severity: urgent\n", "severity"),
    ("rules: [\n", "not valid YAML"),
])
def test_bad_config_is_an_input_error_naming_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_rules(write(tmp_path, text))
    assert message in err.value.message and err.value.remedy


def test_every_builtin_pattern_compiles() -> None:
    import re

    from seawall.secrets.rules import load_rules

    for rule in load_rules().rules:
        re.compile(rule.group_regex("t_"))


def test_the_json_copy_of_the_built_in_rules_is_rules_yaml() -> None:
    from importlib import resources

    from seawall.secrets.rules import builtin_document, builtin_json, yaml_document

    written = resources.files("seawall.secrets").joinpath("rules.json").read_text(encoding="utf-8")
    assert written == builtin_json(), ("rules.json is out of date: run python -c 'from seawall.secrets.rules "
                                       "import write_builtin_json; write_builtin_json()'")
    assert builtin_document() == yaml_document()
