"""Helpers for the ECR suites (test_ecr_*.py): a registry with --auth and
an admin user, Debian's awscli (/usr/bin/aws) pointed at it through
private credential and config files, raw SigV4-signed calls made with
python3-botocore's signer, and a checker of responses against the
output shapes of the ECR service model that awscli ships."""
import datetime
import json
import os
import subprocess

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from wharfutil import Registry, bin_path

AWS = "/usr/bin/aws"
MODEL = "/usr/lib/python3/dist-packages/awscli/botocore/data/ecr/2015-09-21/service-2.json"
TARGET = "AmazonEC2ContainerRegistry_V20150921."
REGION = "us-east-1"

with open(MODEL) as f:
    SHAPES = json.load(f)["shapes"]
    f.seek(0)
    OPS = json.load(f)["operations"]


def user_add(data_dir, name, admin=False, perms=None, password=None, key=True):
    """Create a user with the CLI; returns {"AccessKeyId", "SecretAccessKey"} or {}."""
    cmd = [bin_path("wharf-registry"), "user", "add", name, "--data", str(data_dir), "--json"]
    if admin:
        cmd.append("--admin")
    if perms:
        cmd += ["--permissions", perms]
    if password:
        cmd.append("--password-stdin")
    if not key:
        cmd.append("--no-key")
    p = subprocess.run(cmd, input=(password + "\n") if password else None, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout) if key else {}


def wharf_user(data_dir, *args, ok=True):
    p = subprocess.run([bin_path("wharf-registry"), "user", *args, "--data", str(data_dir)],
                       capture_output=True, text=True, timeout=30)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


class Ecr:
    """One registry with --auth, an admin user and an aws CLI setup."""

    def __init__(self, tmp_path, extra_args=()):
        self.tmp = tmp_path
        self.data = tmp_path / "data"
        self.reg = Registry(self.data, tmp_path / "registry.log",
                            ["--auth", *extra_args]).start()
        self.admin = user_add(self.data, "admin", admin=True, password="admin-pw")
        self.cfg = tmp_path / "aws-config"
        self.cfg.write_text(f"[default]\nregion = {REGION}\n")

    @property
    def endpoint(self):
        return self.reg.url

    def env(self, key):
        creds = self.tmp / f"creds-{key['AccessKeyId']}"
        creds.write_text(f"[default]\naws_access_key_id = {key['AccessKeyId']}\n"
                         f"aws_secret_access_key = {key['SecretAccessKey']}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(self.cfg),
                   AWS_DEFAULT_REGION=REGION, AWS_PAGER="", AWS_EC2_METADATA_DISABLED="true")
        return env

    def aws_run(self, *args, key=None, input=None):
        return subprocess.run([AWS, "ecr", *args, "--endpoint-url", self.endpoint,
                               "--output", "json"], env=self.env(key or self.admin),
                              capture_output=True, text=True, timeout=60, input=input)

    def aws(self, *args, key=None):
        p = self.aws_run(*args, key=key)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout) if p.stdout.strip() else {}

    def aws_fail(self, *args, key=None):
        p = self.aws_run(*args, key=key)
        assert p.returncode != 0, p.stdout
        return p.stderr

    def call(self, action, body, key=None, date=None, tamper=None, check=True, sign_body=False):
        """A raw signed call; returns (status, parsed JSON). The response is
        checked against the model's output (or error) shape (check=False:
        for settings newer than the model, i.e. the exclusion filters)."""
        key = key or self.admin
        data = json.dumps(body).encode()
        if sign_body and tamper:  # sign the tampered body: only its content is wrong
            data, tamper = tamper(data), None
        req = AWSRequest(method="POST", url=self.endpoint + "/", data=data, headers={
            "X-Amz-Target": TARGET + action,
            "Content-Type": "application/x-amz-json-1.1"})
        signer = SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "ecr", REGION)
        if date:
            # botocore takes the signing time from datetime.utcnow
            import botocore.auth as ba
            real = ba.datetime.datetime

            class Fixed(real):
                @classmethod
                def utcnow(cls):
                    return date
            ba.datetime.datetime = Fixed
            try:
                signer.add_auth(req)
            finally:
                ba.datetime.datetime = real
        else:
            signer.add_auth(req)
        headers = dict(req.headers)
        if tamper:
            data = tamper(data)
        r = requests.post(self.endpoint + "/", data=data, headers=headers, timeout=30)
        j = r.json()
        if r.status_code == 200 and check:
            check_shape(OPS[action]["output"]["shape"], j, action)
        elif r.status_code != 200:
            assert set(j) <= {"__type", "message"} and j["__type"], j
        return r.status_code, j

    def stop(self):
        return self.reg.stop()


def check_shape(name, v, path):
    """Every field of v is a member of shape `name` with the right type."""
    s = SHAPES[name]
    t = s["type"]
    if t == "structure":
        assert isinstance(v, dict), f"{path}: expected an object, got {v!r}"
        for k, x in v.items():
            assert k in s["members"], f"{path}: {k} is not a member of {name}"
            check_shape(s["members"][k]["shape"], x, f"{path}.{k}")
        for k in s.get("required", []):
            assert k in v, f"{path}: required member {k} of {name} missing"
    elif t == "list":
        assert isinstance(v, list), f"{path}: expected a list"
        for i, x in enumerate(v):
            check_shape(s["member"]["shape"], x, f"{path}[{i}]")
    elif t == "map":
        assert isinstance(v, dict), f"{path}: expected a map"
    elif t == "string":
        assert isinstance(v, str), f"{path}: expected a string, got {v!r}"
        if "enum" in s:
            assert v in s["enum"], f"{path}: {v} not in {s['enum']}"
        if "max" in s:
            assert len(v) <= s["max"], f"{path}: longer than {s['max']}"
        if "min" in s:
            assert len(v) >= s["min"], f"{path}: shorter than {s['min']}"
    elif t in ("integer", "long"):
        assert isinstance(v, int) and not isinstance(v, bool), f"{path}: expected an integer"
        if "min" in s:
            assert v >= s["min"], f"{path}: below {s['min']}"
    elif t == "boolean":
        assert isinstance(v, bool), f"{path}: expected a boolean"
    elif t == "timestamp":
        assert isinstance(v, (int, float)) and not isinstance(v, bool), \
            f"{path}: expected epoch seconds"
    else:
        raise AssertionError(f"{path}: unhandled shape type {t}")


def utcnow():
    return datetime.datetime.utcnow()
