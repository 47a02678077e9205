"""Settings, read from environment variables with the KITH_ prefix."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KITH_", extra="ignore")

    env: Literal["dev", "test", "prod"] = Field(
        "prod", description="dev relaxes safety checks (e.g. webhook targets); never use it in production"
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL of a role that owns Kith's tables (runs migrations). "
        "Unset: an embedded PostgreSQL is started in KITH_DATA_DIR.",
    )
    app_database_url: str | None = Field(
        None,
        description="URL the service's queries use: a login that is a member of kith_app. Unset: a login "
        "Kith makes for its database (kith_svc_…, password in KITH_DATA_DIR, mode 0600)",
    )
    data_dir: Path = Field(Path(".kith"), description="Embedded database, signing key and other local state")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = Field(
        "http://localhost:8000", description="Public base URL: the token issuer and audience"
    )
    audit_key: SecretStr | None = Field(
        None,
        description="Key of the audit trail's HMAC chain (any string); unset: audit.key in KITH_DATA_DIR, "
        "made on first use. The database never holds it: keep it (or the data directory) as safe as the "
        "signing key, and the same for the server and the kith command",
    )
    service_key: SecretStr | None = Field(
        None,
        description="Key the service opens every transaction's database context with (any string); unset: "
        "service.key in KITH_DATA_DIR, made on first use. The database keeps only its digest; the same for "
        "the server and the kith command",
    )
    audit_checkpoint_seconds: float = Field(
        60.0, ge=0, description="How often each audit chain's head is signed and kept; 0: not by this process"
    )
    jwt_private_key: SecretStr | None = Field(
        None, description="PEM EC P-256 private key for ES256 tokens; unset: generated in KITH_DATA_DIR"
    )
    access_token_ttl_seconds: int = Field(900, ge=60, le=86400)
    # A fixed pool: under a burst, connections opened beyond the pool are closed again as soon as
    # they are handed back, and each one costs PostgreSQL a new backend process; waiting for a
    # pooled connection is cheaper than that.
    db_pool_size: int = Field(20, ge=1, le=200)
    db_max_overflow: int = Field(0, ge=0, le=200)
    statement_timeout_ms: int = Field(5000, ge=100)
    ledger_lanes: int = Field(
        1,
        ge=0,
        le=64,
        description="Ledger transfers run at once per process; those arriving meanwhile are then made "
        "together, in one statement (0: every transfer alone)",
    )
    ledger_most_together: int = Field(
        128, ge=2, le=1000, description="At most this many ledger transfers in one statement"
    )
    rate_limit: str = Field("1200/minute", description="Per-client API rate limit (limits notation)")
    token_rate_limit: str = Field("60/minute", description="Per-address limit on POST /oauth/token")
    rate_limit_storage: str = Field("memory://", description="limits storage URI, e.g. redis://host:6379")
    card_resolve_rate_limit: str = Field(
        "120/minute", description="Reward card look-ups (resolves, redemptions by card) per organisation"
    )
    card_miss_rate_limit: str = Field(
        "30/hour",
        description="Look-ups of card codes that are no card's, per organisation: beyond it, every look-up "
        "waits (a 50-bit code cannot be guessed at this rate)",
    )
    card_issue_rate_limit: str = Field(
        "3/day", description="Rewards cards an organisation's staff may issue one resident (then 429)"
    )
    grant_ask_rate_limit: str = Field(
        "3/day",
        description="Mails asking a resident to confirm a grant, per organisation and resident; beyond it the "
        "grant still waits for them in the portal",
    )
    resident_code_rate_limit: str = Field(
        "5/10 minutes", description="Tries of a resident's one-time spend codes, per business and resident"
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token a Prometheus scraper sends for /metrics (besides KITH_METRICS_ALLOW)"
    )
    metrics_allow: str = Field(
        "127.0.0.1,::1",
        description="Comma-separated addresses or networks that may read /metrics without the token",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For / X-Forwarded-Proto Kith believes (e.g. '10.0.0.5' or '10.0.0.0/24'). Empty: "
        "none, and every rate limit keys on the connecting peer. Never list addresses clients can reach.",
    )
    max_body_bytes: int = 1024 * 1024
    max_batch_body_bytes: int = 16 * 1024 * 1024
    match_threshold: float = Field(
        0.99,
        gt=0,
        lt=1,
        description="Identity resolution: match probability at or above which records auto-match",
    )
    review_threshold: float = Field(
        0.80,
        gt=0,
        lt=1,
        description="Identity resolution: probability at or above which a match is held for review",
    )
    privacy_notice_url: str | None = Field(
        None,
        description="The partnership's privacy notice, if published elsewhere: consent receipts link to it "
        "(policyUrl) and /privacy sends readers there; unset: <public_url>/privacy",
    )
    privacy_notice_file: Path | None = Field(
        None,
        description="The partnership's privacy notice as a Markdown file, shown at /privacy; unset (and no "
        "KITH_PRIVACY_NOTICE_URL): a notice written from what Kith knows (the organisations, purposes, "
        "categories, rights, how to complain to the ICO)",
    )
    webhook_worker: bool = Field(
        True, description="Run the webhook delivery worker inside kith serve (else run `kith worker`)"
    )
    webhook_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="How often the worker looks for webhook deliveries to make"
    )
    webhook_timeout_seconds: float = Field(
        15.0,
        gt=0,
        le=60,
        description="Deadline of one delivery attempt as a whole: resolving, connecting, sending, and the "
        "receiver's answer to its last byte read (a receiver answering slowly is cut off at it)",
    )
    webhook_concurrency: int = Field(
        16, ge=1, le=1000, description="Delivery attempts one worker process makes at once"
    )
    webhook_concurrency_per_subscription: int = Field(
        2,
        ge=1,
        description="Of those, how many may go to one subscription (a slow receiver cannot take every one)",
    )
    webhook_response_bytes: int = Field(
        4096,
        ge=0,
        le=1024 * 1024,
        description="How much of a receiver's answer is read (its start is kept in the delivery log when the "
        "attempt failed); the rest is never read",
    )
    webhook_retry_base_seconds: float = Field(
        10.0, gt=0, description="First retry delay; doubles with each attempt (with jitter), at most 6 hours"
    )
    webhook_retry_hours: float = Field(
        72.0, gt=0, description="How long a delivery is retried before it fails"
    )
    webhook_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="How long a claimed delivery is reserved for the worker that claimed it; longer than "
        "KITH_WEBHOOK_TIMEOUT_SECONDS (an attempt ends before another worker may make the next)",
    )
    ledger_hold_check_seconds: float = Field(
        1.0, gt=0, le=3600, description="How often the worker voids ledger holds whose timeout has passed"
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for residents' sign-in codes (unset: mail cannot be sent outside dev)"
    )
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (port 587), tls (implicit, port 465) or none (a local relay)"
    )
    mail_from: str = Field("Kith <no-reply@kith.invalid>", description="From address of mail to residents")
    portal_session_hours: float = Field(8.0, gt=0, le=24 * 30, description="How long a portal sign-in lasts")
    portal_idle_minutes: float = Field(
        60.0, gt=0, description="A portal session unused for this long ends (sign in again)"
    )
    portal_secure_cookies: bool = Field(
        True, description="Mark portal cookies Secure (sent over HTTPS only; browsers allow http://localhost)"
    )
    portal_codes_per_email: int = Field(
        5, ge=1, description="Sign-in codes one email address may ask for in 15 minutes"
    )
    portal_address_limit: str = Field(
        "30/hour", description="Sign-in attempts (codes asked for or tried) per client address"
    )
    console_session_hours: float = Field(
        10.0, gt=0, le=24, description="How long a staff member's console sign-in lasts at most"
    )
    console_idle_minutes: float = Field(
        30.0, gt=0, description="A console session unused for this long ends (sign in again)"
    )
    indicator_thresholds: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="Indicators: (red, green) boundaries per indicator code, as JSON, e.g. "
        '{"isolation": [0.4, 0.25]}; unset codes keep their defaults (GET /v1/indicators shows them)',
    )
    indicator_volunteer_cap_hours: float = Field(
        40.0, gt=0, description="Indicators: a person's volunteering hours counted per month at most"
    )
    indicator_refresh_seconds: float = Field(
        60.0,
        ge=0,
        description="How often kith serve / kith worker bring the indicator roll-ups up to date (0: never)",
    )
    indicator_revision: Literal["monthly", "weekly", "daily", "manual"] = Field(
        "monthly",
        description="Indicators: how often published figures are revised (objections, erasures, late "
        "records): the first roll-up run of each month, week or day; manual: only kith indicators revise",
    )
    indicators_public: bool = Field(
        False,
        description="Publish /insights and the indicators' read API without sign-in (CORS open for "
        "reading), like open statistics; kith serve --demo sets it. Nothing about a person is ever public",
    )
    indicator_rollup_overlap_seconds: float = Field(
        300.0,
        ge=0,
        description="The roll-up job re-reads this much before its high-water mark (late commits)",
    )
    identity_retrain_seconds: float = Field(
        3600.0,
        ge=0,
        description="How often kith serve / kith worker look whether matching should be re-estimated (0: never)",
    )
    identity_retrain_records: int = Field(
        10_000,
        ge=1,
        description="Matching is re-estimated once this many records arrived since the last estimate",
    )
    identity_retrain_labels: int = Field(
        50,
        ge=1,
        description="… or this many reviewers' decisions; an estimate is put in use unattended only if at "
        "least this many decisions agree with it no less often than with the parameters in use",
    )
    idempotency_purge_seconds: float = Field(
        3600.0,
        gt=0,
        description="How often the background jobs delete Idempotency-Keys past their 24 hours (the "
        "answers kept with them are personal data: the purge always runs)",
    )
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator(
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "privacy_notice_url",
        "privacy_notice_file",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty variable is an unset one (a compose file passes ``${KITH_SMTP_HOST:-}`` through)."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Settings:
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError(
                "KITH_WEBHOOK_LEASE_SECONDS must be longer than KITH_WEBHOOK_TIMEOUT_SECONDS: a claimed "
                "attempt must end before its lease lets another worker make the next one"
            )
        return self

    def audit_secret(self) -> bytes:
        """The audit chain's HMAC key: KITH_AUDIT_KEY, else the data directory's audit.key (32
        random bytes, made on first use by exactly one process, readable only by its owner)."""
        if self.audit_key is not None:
            return self.audit_key.get_secret_value().encode()
        return self._secret_file("audit.key")

    def service_secret(self) -> bytes:
        """The key every transaction's context is opened with (``kith_begin``): KITH_SERVICE_KEY,
        else the data directory's service.key. Unrelated to the audit key on purpose: the service's
        connections carry the audit key's HMAC pads as session settings, which a statement can
        read, so nothing derived from the audit key may open a context. The database keeps only its
        SHA-256 digest, registered by ``kith db upgrade``."""
        if self.service_key is not None:
            return self.service_key.get_secret_value().encode()
        return self._secret_file("service.key")

    def _secret_file(self, name: str) -> bytes:
        """32 random bytes (as hex) in the data directory's ``name``, made on first use by exactly
        one process, readable only by its owner."""
        path = self.data_dir / name
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Written whole under another name, then linked into place: when several processes
            # start at once, exactly one key wins and none reads a half-written file.
            draft = self.data_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip().encode()

    @property
    def policy_url(self) -> str:
        return self.privacy_notice_url or f"{self.public_url.rstrip('/')}/privacy"


@lru_cache
def get_settings() -> Settings:
    return Settings()
