"""The AWS emulator behind the state that is not time-dependent (DynamoDB, S3, SES...).

Two backends:
* in-process moto (default): ``mock_aws`` intercepts botocore requests to AWS
  host names inside this process; nothing leaves the machine.
* an endpoint URL: ``moto_server`` or LocalStack on a loopback address. Any
  other address is refused before a request is built.

Each simulation has its own account id and every request it lets through
carries it (the ``x-moto-account-id`` header that moto and moto server honour),
so two simulations in one process never see each other's tables. Resources
are (re)created at start, so a run never sees a previous run's state.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore.config import Config

from sim import motodirect
from sim.errors import ConfigError, SafetyError
from sim.runtime.scope import FAKE_CREDENTIALS
from sim.runtime.sessions import new_session
from sim.stack.spec import Stack

ACCOUNT_HEADER = "x-moto-account-id"


def account_for(name: str) -> str:
    """A stable 12-digit account id for a simulation name."""
    return str(int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**12).zfill(12)


def check_loopback(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SafetyError(f"endpoint {url!r} is not an http(s) URL; use e.g. http://127.0.0.1:4566")
    host = parts.hostname
    if host != "localhost":
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is None or not ip.is_loopback:
            raise SafetyError(f"endpoint {url!r} is not a loopback address; shadowsim only talks to emulators "
                              f"on this machine (127.0.0.0/8, ::1 or localhost)")
    return url.rstrip("/")


class Emulator:
    def __init__(self, endpoint_url: str | None, account_id: str, region: str) -> None:
        self.endpoint_url = check_loopback(endpoint_url) if endpoint_url else None
        self.account_id = account_id
        self.region = region
        self._mock = None
        self._session = None
        self._clients: dict[str, object] = {}

    @property
    def mode(self) -> str:
        return "endpoint" if self.endpoint_url else "inprocess"

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self.endpoint_url is None and self._mock is None:
            from moto import mock_aws

            from sim import motofast

            motofast.install()
            self._mock = mock_aws(config={"lambda": {"use_docker": False},
                                          "core": {"reset_boto3_session": False}})
            self._mock.start(reset=False)

    def stop(self, stack: Stack | None = None) -> None:
        if self._mock is not None:
            if stack is not None:
                self._release_buckets(stack)
            self._mock.stop(remove_data=False)
            self._mock = None
            _drop_moto_bookkeeping()

    def credentials(self) -> dict[str, str]:
        """Fake credentials whose access key id is the account id.

        moto honours the account header; LocalStack takes a 12-digit access key
        id as the account id, so both keep simulations apart this way.
        """
        return {**FAKE_CREDENTIALS, "AWS_ACCESS_KEY_ID": self.account_id}

    def client_kwargs(self) -> dict[str, str]:
        creds = self.credentials()
        kwargs = {"region_name": self.region, "aws_access_key_id": creds["AWS_ACCESS_KEY_ID"],
                  "aws_secret_access_key": creds["AWS_SECRET_ACCESS_KEY"]}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        return kwargs

    def handler_env(self) -> dict[str, str]:
        env = self.credentials()
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        return env

    # -- requests ----------------------------------------------------------------
    def prepare(self, service: str, request: dict[str, Any]) -> None:
        """Check and adjust a request a handler is about to send to the emulator."""
        request.setdefault("headers", {})[ACCOUNT_HEADER] = self.account_id
        url = request.get("url", "")
        if self.endpoint_url is None:
            from moto.core.models import botocore_stubber

            if not botocore_stubber.enabled:
                raise SafetyError("the in-process AWS emulator is not active; run the simulation inside "
                                  "`with Simulation(...)` (or call start()) so no request can reach AWS")
            if not (urlsplit(url).hostname or "").endswith("amazonaws.com"):
                request["url"] = self._to_aws(service, url)
        else:
            request["url"] = self._to_endpoint(url)

    def _to_endpoint(self, url: str) -> str:
        parts = urlsplit(url)
        base = urlsplit(self.endpoint_url)
        if parts.netloc == base.netloc:
            return url
        path = parts.path
        host = parts.hostname or ""
        if ".s3." in host or host.endswith(".s3.amazonaws.com"):  # virtual-hosted S3 -> path style
            path = "/" + host.split(".s3", 1)[0] + path
        elif base.hostname and host.endswith("." + base.hostname):
            # virtual-hosted S3 on the endpoint itself (a client with addressing_style="virtual" and
            # endpoint http://localhost:PORT sends to bucket.localhost): keep the bucket, as path style
            path = "/" + host[: -len(base.hostname) - 1] + path
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))

    def _to_aws(self, service: str, url: str) -> str:
        parts = urlsplit(url)
        prefix = {"ses": "email", "sesv2": "email"}.get(service, service)
        host = "s3.amazonaws.com" if service == "s3" else f"{prefix}.{self.region}.amazonaws.com"
        return urlunsplit(("https", host, parts.path, parts.query, ""))

    # -- the simulator's own client (setup, TTL sweeps) --------------------------
    def client(self, service: str):
        """The simulator's own client for ``service`` (cached), marked with this account."""
        if service not in self._clients:
            self._clients[service] = self._new_client(service)
        return self._clients[service]

    def make_client(self, service: str, retries: dict):
        """A new boto3 client for this backend and account (one shared session per emulator)."""
        if self._session is None:
            self._session = new_session()
        return self._session.client(service, config=Config(retries=retries), **self.client_kwargs())

    def _new_client(self, service: str):
        client = self.make_client(service, {"mode": "standard", "total_max_attempts": 1})
        account = self.account_id

        def add_account(params, **_kw):
            params.setdefault("headers", {})[ACCOUNT_HEADER] = account

        client.meta.events.register_first("before-call", add_account)
        return client

    def setup(self, stack: Stack) -> None:
        """Create the stack's tables, buckets and identities afresh in this account."""
        try:
            self._setup_tables(stack)
            self._setup_buckets(stack)
            self._reset_ses()
            if stack.ses_identities:
                ses = self.client("ses")
                for ident in stack.ses_identities:
                    ses.verify_email_identity(EmailAddress=ident)
        except Exception as exc:  # botocore errors, connection refused...
            where = self.endpoint_url or "the in-process emulator"
            hint = ""
            if "BucketAlreadyExists" in str(exc):
                hint = ("; S3 bucket names are global, and another simulation's account owns this one: "
                        "name buckets with ${AccountId} (e.g. market-data-${AccountId}) in the stack")
            raise ConfigError(f"could not create the stack's resources in {where}: {exc}{hint}") from None

    def _reset_ses(self) -> None:
        """Forget the emails a previous run in this account sent (in-process only: moto
        server's only reset is global, so there the counts are read as differences)."""
        if self.endpoint_url is None:
            from moto.ses.models import ses_backends

            ses_backends[self.account_id][self.region].reset()

    def sent_emails(self) -> list[dict[str, Any]]:
        """Emails SES accepted in this account (in-process moto keeps them; a remote endpoint
        does not expose them the same way, so this is in-process only)."""
        if self.endpoint_url is not None:
            raise ConfigError("reading sent emails needs the in-process emulator (no --endpoint-url)")
        from moto.ses.models import ses_backends

        out = []
        for msg in ses_backends[self.account_id][self.region].sent_messages:
            to = (getattr(msg, "destinations", None) or {}).get("ToAddresses", [])
            out.append({"id": msg.id, "source": msg.source, "to": list(to),
                        "subject": getattr(msg, "subject", None), "body": getattr(msg, "body", None)})
        return out

    def _direct(self) -> bool:
        """Whether the simulator's own setup and teardown may go straight into moto (sim/motodirect.py)."""
        return self.endpoint_url is None and motodirect.available()

    def _setup_tables(self, stack: Stack) -> None:
        if not stack.tables:
            return
        direct, account, region = self._direct(), self.account_id, self.region
        if direct:
            existing = set(motodirect.table_names(account, region))
        else:
            existing = set(self.client("dynamodb").list_tables().get("TableNames", []))
        for table in stack.tables:
            if table.name in existing and not (direct and motodirect.delete_table(account, region, table.name)):
                self.client("dynamodb").delete_table(TableName=table.name)
            kwargs = self._table_request(table)
            if not (direct and motodirect.create_table(account, region, kwargs)):
                self.client("dynamodb").create_table(**kwargs)
            if table.ttl_attribute:
                spec = {"Enabled": True, "AttributeName": table.ttl_attribute}
                if not (direct and motodirect.update_time_to_live(account, region, table.name, spec)):
                    self.client("dynamodb").update_time_to_live(TableName=table.name, TimeToLiveSpecification=spec)

    @staticmethod
    def _table_request(table) -> dict[str, Any]:
        """CreateTable's parameters for a stack table."""
        keys = [{"AttributeName": table.hash_key.name, "KeyType": "HASH"}]
        attrs = {table.hash_key.name: table.hash_key.type}
        if table.range_key:
            keys.append({"AttributeName": table.range_key.name, "KeyType": "RANGE"})
            attrs[table.range_key.name] = table.range_key.type
        gsis = []
        for gsi in table.global_secondary_indexes:
            gsi_keys = [{"AttributeName": gsi["hash_key"], "KeyType": "HASH"}]
            attrs.setdefault(gsi["hash_key"], "S")
            if gsi.get("range_key"):
                gsi_keys.append({"AttributeName": gsi["range_key"], "KeyType": "RANGE"})
                attrs.setdefault(gsi["range_key"], "S")
            gsis.append({"IndexName": gsi["name"], "KeySchema": gsi_keys, "Projection": {"ProjectionType": "ALL"}})
        kwargs = dict(TableName=table.name, KeySchema=keys, BillingMode="PAY_PER_REQUEST",
                      AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attrs.items()])
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        return kwargs

    def _release_buckets(self, stack: Stack) -> None:
        """S3 bucket names are global: give this run's names back when it closes."""
        direct = self._direct()
        for bucket in stack.buckets:
            if direct and motodirect.release_bucket(self.account_id, self.region, bucket.name):
                continue
            try:
                self._empty_and_delete(self.client("s3"), bucket.name)
            except Exception:  # already gone, or owned elsewhere: nothing of ours to give back
                continue

    def _empty_and_delete(self, s3, name: str) -> None:
        # One DeleteObjects per listed page (at most 1000 keys, its limit) rather than one
        # DeleteObject per version: a day leaves dozens of objects, each a request to the emulator.
        # An object it cannot delete is reported in the reply, and DeleteBucket then fails.
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            objects = [{"Key": obj["Key"], "VersionId": obj["VersionId"]}
                       for obj in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if objects:
                s3.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})
        s3.delete_bucket(Bucket=name)

    def _setup_buckets(self, stack: Stack) -> None:
        if not stack.buckets:
            return
        s3 = self.client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        direct = self._direct()
        for bucket in stack.buckets:
            if bucket.name in existing and not (direct and motodirect.release_bucket(self.account_id, self.region,
                                                                                     bucket.name)):
                self._empty_and_delete(s3, bucket.name)
            s3.create_bucket(Bucket=bucket.name)
            # Since January 2023 S3 encrypts every new object with SSE-S3 (AES256) by default
            # (docs: "Setting default server-side encryption behavior for Amazon S3 buckets").
            s3.put_bucket_encryption(Bucket=bucket.name, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})


def _drop_moto_bookkeeping() -> None:
    """Drop what moto keeps about past runs but never uses again, when the last mock stops.

    ``mock_aws().start(reset=False)`` adds its ~1,300 URL routes to ``responses`` again on
    every start and ``stop(remove_data=False)`` never removes them; and every moto model
    object (each DynamoDB item, table, S3 key...) is appended to its class's
    ``instances_tracked`` list, read only by moto server's dashboard and by a full reset,
    so deleted tables and objects were never freed. A process that runs thousands of
    simulations (a sweep worker) grew by ~2 MB a run. moto's own cleanup does both
    (``reset_responses_mock``, ``reset_model_data``) but only as part of a data reset,
    which would wipe the accounts; this does them alone. Live data is untouched: it is
    held by the backends, not by these lists.
    """
    from moto.core.custom_responses_mock import reset_responses_mock
    from moto.core.model_instances import reset_model_data
    from moto.core.models import MockAWS, responses_mock

    if MockAWS._nested_count == 0:
        reset_responses_mock(responses_mock)
        reset_model_data()
