"""One configuration for both Kafka clients, and refusals explained in one line (the secured broker
itself: tests/integration/test_secured.py)."""

import ssl

import pytest
from kafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, SaslAuthenticationFailedError

from workers.config import Settings
from workers.kafka_client import KafkaAccessError, client_config, explain, faust_credentials

SECURED = Settings(
    bootstrap_servers="k1:9093,k2:9093",
    security_protocol="SASL_SSL",
    sasl_mechanism="SCRAM-SHA-512",
    sasl_username="newsworker",
    sasl_password="s3cret-pass",
)


def test_faust_and_kafka_python_get_the_same_user_password_mechanism_and_tls():
    config = client_config(SECURED)
    credentials = faust_credentials(SECURED)
    assert config["bootstrap_servers"] == ["k1:9093", "k2:9093"]
    assert (
        (config["sasl_plain_username"], config["sasl_plain_password"], config["sasl_mechanism"])
        == (
            credentials.username,
            credentials.password,
            credentials.mechanism.value,
        )
        == ("newsworker", "s3cret-pass", "SCRAM-SHA-512")
    )
    for context in (config["ssl_context"], credentials.ssl_context):
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert credentials.protocol.value == "SASL_SSL"
    assert "s3cret-pass" not in repr(credentials)


def test_plaintext_has_no_security_and_sasl_plaintext_no_tls():
    assert client_config(Settings()) == {
        "bootstrap_servers": ["127.0.0.1:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert faust_credentials(Settings()) is None
    plain = Settings(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="p")
    assert "ssl_context" not in client_config(plain)
    assert faust_credentials(plain).protocol.value == "SASL_PLAINTEXT"


def test_a_missing_ca_bundle_names_the_setting():
    with pytest.raises(KafkaAccessError, match="--ssl-cafile / NEWSWORKER_SSL_CAFILE"):
        client_config(Settings(security_protocol="SSL", ssl_cafile="/nonexistent/ca.pem"))


MISMATCH = (
    "Handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:"
    " Hostname mismatch, certificate is not valid for 'k1'. (_ssl.c:1006)"
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            SaslAuthenticationFailedError("invalid credentials"),
            "check NEWSWORKER_SASL_PASSWORD (or --sasl-pass",
        ),
        (
            ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate (_ssl.c:1006)"),
            "not trusted by the system CAs (self-signed certificate); set --ssl-cafile / NEWSWORKER_SSL_CA",
        ),
        (KafkaConnectionError(MISMATCH), "use a host name the certificate names in --bootstrap-servers"),
        (GroupAuthorizationFailedError(), "denied user 'newsworker' the consumer group 'newsworker'"),
        (KafkaConnectionError("111 ECONNREFUSED"), "is the broker running? check --bootstrap-servers"),
        (KafkaConnectionError("socket disconnected"), "check --security-protocol / NEWSWORKER_SECURITY"),
    ],
)
def test_each_refusal_is_one_line_naming_what_to_change(error, expected):
    line = explain(error, SECURED)
    assert expected in line
    assert "\n" not in line and "s3cret-pass" not in line
