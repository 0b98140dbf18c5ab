import click
import pytest

from workers.config import Settings, markdown_table


def test_env_then_flags_override_defaults(monkeypatch):
    monkeypatch.setenv("NEWSWORKER_RAW_TOPIC", "from.env")
    monkeypatch.setenv("NEWSWORKER_PARTITIONS", "12")
    s = Settings.from_env(partitions=6, group_id=None)
    assert s.raw_topic == "from.env"
    assert s.partitions == 6  # the flag wins
    assert s.group_id == "newsworker"  # an unset flag keeps the default


def test_bad_env_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NEWSWORKER_WEB_PORT", "eighty")
    with pytest.raises(click.BadParameter, match="NEWSWORKER_WEB_PORT"):
        Settings.from_env()


def test_services_bind_loopback_by_default():
    assert Settings().web_host == "127.0.0.1"
    assert Settings().bootstrap_servers.startswith("127.0.0.1")


def test_readme_configuration_table_is_current():
    from tests.conftest import REPO

    assert markdown_table() in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_sasl_password_is_never_a_flag_but_env_or_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from workers.cli import main

    refused = CliRunner().invoke(main, ["worker", "--sasl-password", "secret"])
    assert refused.exit_code == 2 and "No such option" in refused.output
    secret = tmp_path / "password"
    secret.write_text("from-file\n")
    assert Settings.from_env(sasl_password_file=str(secret)).password == "from-file"
    monkeypatch.setenv("NEWSWORKER_SASL_PASSWORD", "from-env")
    assert Settings.from_env().password == "from-env"
