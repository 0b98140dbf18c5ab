"""A real single-node Apache Kafka 4.x (KRaft) on 127.0.0.1 for the demo, tests and benchmarks.

The broker's jars come from Maven Central through `deploy/local/kafka/pom.xml` (Maven resolves
them into ~/.m2 once); the classpath is cached next to the broker's data. Java 17+ runs it.

PLAINTEXT by default. Secured (`secured=True`, `newsworker kafka start --secured`), it speaks
SASL_SSL with SCRAM-SHA-512 and enforces ACLs, as production clusters do: a throw-away CA and the
broker's certificate are made with openssl at first start, and the users (the super user `admin`
and any others named) are written into the cluster's metadata by Kafka's own `kafka-storage format
--add-scram`, with passwords generated into `<dir>/users/NAME.password` (0600).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from workers.config import Settings

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
POM = REPO / "deploy" / "local" / "kafka" / "pom.xml"
SERVER_PROPERTIES = REPO / "deploy" / "local" / "kafka" / "server.properties"
SECURED_PROPERTIES = REPO / "deploy" / "local" / "kafka" / "secured.properties"
LOG4J = REPO / "deploy" / "local" / "kafka" / "log4j2.properties"
ADMIN = "admin"  # the super user of a secured broker
SCRAM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192
BROKER_CN = "localhost"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsworker" / "kafka"


class KafkaLocalError(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalKafka:
    """A broker's home: `dir` holds data, logs and the pid file; it listens on 127.0.0.1:port.
    Secured, `users` are the SCRAM users besides the admin (created when the storage is formatted)."""

    dir: Path
    port: int = 9092
    secured: bool = False
    users: tuple[str, ...] = ()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The PEM CA that signed the broker's certificate (secured)."""
        return self.dir / "tls" / "ca.pem"

    def password_file(self, user: str = ADMIN) -> Path:
        return self.dir / "users" / f"{user}.password"

    def client_settings(self, user: str = ADMIN, **changes) -> Settings:
        """Settings that reach this broker as `user` (secured: its password read from its file)."""
        if not self.secured:
            return Settings(bootstrap_servers=self.bootstrap, **changes)
        return Settings(
            bootstrap_servers=self.bootstrap,
            security_protocol="SASL_SSL",
            sasl_mechanism=SCRAM,
            sasl_username=user,
            sasl_password_file=str(self.password_file(user)),
            ssl_cafile=str(self.ca_file),
            **changes,
        )

    @property
    def pid_file(self) -> Path:
        return self.dir / "kafka.pid"

    @property
    def log_file(self) -> Path:
        return self.dir / "kafka.log"

    def pid(self) -> int | None:
        """The broker's pid if it is running."""
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def start(self, timeout: float = 90.0) -> None:
        if self.pid() is not None:
            log.info("Kafka already running (pid %s) on %s", self.pid(), self.bootstrap)
            return
        if port_open(self.port):
            raise KafkaLocalError(f"port {self.port} is already in use by another process")
        self.dir.mkdir(parents=True, exist_ok=True)
        classpath = resolve_classpath()
        if self.secured:
            self._make_tls()
        properties = self._write_properties()
        if not (self.dir / "data" / "meta.properties").exists():
            _java(
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                f"--cluster-id={_cluster_id()}",  # ids may start with "-": never a separate argument
                "-c",
                str(properties),
                *(f"--add-scram={self._scram(user)}" for user in self._all_users()),
            )
        with self.log_file.open("ab") as out:
            process = subprocess.Popen(
                [
                    "java",
                    "-Xms256m",
                    "-Xmx1g",
                    "-XX:+UseG1GC",
                    f"-Dlog4j2.configurationFile={LOG4J}",
                    f"-Dkafka.logs.dir={self.dir}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(properties),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        self._wait_ready(process, timeout)
        log.info("Kafka %s ready on %s (pid %s)", KAFKA_VERSION, self.bootstrap, process.pid)

    def stop(self, timeout: float = 30.0) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        os.kill(pid, signal.SIGTERM)  # a clean shutdown flushes the log
        deadline = time.monotonic() + timeout
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.pid() is not None:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)

    def _all_users(self) -> list[str]:
        return [ADMIN, *(u for u in self.users if u != ADMIN)] if self.secured else []

    def _password(self, user: str) -> str:
        """The user's password, generated into its file (0600) the first time."""
        path = self.password_file(user)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(18) + "\n")
        return path.read_text().splitlines()[0]

    def _scram(self, user: str) -> str:
        """kafka-storage's SCRAM credential of `user`, salted here: the password itself never
        reaches a command line."""
        salt = os.urandom(16)
        salted = hashlib.pbkdf2_hmac("sha512", self._password(user).encode(), salt, SCRAM_ITERATIONS)
        b64 = base64.b64encode
        return (
            f"{SCRAM}=[name={user},iterations={SCRAM_ITERATIONS},"
            f'salt="{b64(salt).decode()}",saltedpassword="{b64(salted).decode()}"]'
        )

    def _make_tls(self) -> None:
        """A throw-away CA and the broker's certificate for 127.0.0.1 and localhost, made once."""
        tls = self.ca_file.parent
        if (tls / "broker.pem").exists():
            return
        tls.mkdir(parents=True, exist_ok=True)
        days = "3650"
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", days, "-subj",
                 "/CN=newsworker local CA", "-keyout", tls / "ca.key", "-out", self.ca_file)  # fmt: skip
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={BROKER_CN}",
                 "-keyout", tls / "broker.key", "-out", tls / "broker.csr")  # fmt: skip
        (tls / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        _openssl("x509", "-req", "-in", tls / "broker.csr", "-CA", self.ca_file, "-CAkey",
                 tls / "ca.key", "-CAcreateserial", "-days", days, "-extfile", tls / "san.ext",
                 "-out", tls / "broker.crt")  # fmt: skip
        # Kafka's PEM key store: the (unencrypted PKCS#8) key, then the certificate
        (tls / "broker.pem").write_text((tls / "broker.key").read_text() + (tls / "broker.crt").read_text())

    def _write_properties(self) -> Path:
        values = {"port": self.port, "controller_port": self.port + 1, "data_dir": self.dir / "data"}
        text = SERVER_PROPERTIES.read_text().format(**values)
        if self.secured:
            text += "\n" + SECURED_PROPERTIES.read_text().format(
                **values,
                admin=ADMIN,
                admin_password=self._password(ADMIN),
                tls_dir=self.ca_file.parent,
                broker_cn=BROKER_CN,
            )
        path = self.dir / "server.properties"
        path.touch(mode=0o600)  # secured, it holds the admin's password
        path.write_text(text)
        return path

    def _wait_ready(self, process: subprocess.Popen, timeout: float) -> None:
        from kafka import KafkaAdminClient

        from workers.kafka_client import client_config

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise KafkaLocalError(f"Kafka exited with {process.returncode}; see {self.log_file}")
            if port_open(self.port):
                try:
                    admin = KafkaAdminClient(**client_config(self.client_settings()), request_timeout_ms=5000)
                    brokers = admin.describe_cluster()["brokers"]
                    admin.close()
                    if brokers:
                        return
                except Exception:  # still starting: the controller has not elected itself yet
                    pass
            time.sleep(0.5)
        self.stop()
        raise KafkaLocalError(f"Kafka was not ready within {timeout:.0f}s; see {self.log_file}")


KAFKA_VERSION = "4.1.1"  # keep in step with deploy/local/kafka/pom.xml


def _classpath_file() -> Path:
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    return CACHE / f"classpath-{digest}.txt"


def jars_ready() -> bool:
    """Whether the broker's jars are resolved already (else the next start downloads them)."""
    cached = _classpath_file()
    return cached.exists() and all(Path(jar).exists() for jar in cached.read_text().split(":"))


def resolve_classpath() -> str:
    """The broker's classpath, resolved by Maven once per pom version and cached."""
    cached = _classpath_file()
    if jars_ready():
        return cached.read_text()
    CACHE.mkdir(parents=True, exist_ok=True)
    log.info("resolving Apache Kafka %s jars from Maven Central (first run only)", KAFKA_VERSION)
    try:
        subprocess.run(
            ["mvn", "-q", "-B", "-f", str(POM), "dependency:build-classpath", f"-Dmdep.outputFile={cached}"],
            check=True,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError as exc:
        raise KafkaLocalError("Maven (mvn) is needed to fetch the Kafka jars: apt-get install maven") from exc
    except subprocess.CalledProcessError as exc:
        raise KafkaLocalError(f"Maven could not resolve the Kafka jars:\n{exc.stdout}{exc.stderr}") from exc
    return cached.read_text()


def _java(classpath: str, main: str, *args: str) -> None:
    try:
        subprocess.run(["java", "-cp", classpath, main, *args], check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise KafkaLocalError(
            "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise KafkaLocalError(f"{main} failed:\n{exc.stdout}{exc.stderr}") from exc


def _openssl(*args: str | Path) -> None:
    try:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise KafkaLocalError("openssl is needed for a secured broker: apt-get install openssl") from exc
    except subprocess.CalledProcessError as exc:
        raise KafkaLocalError(f"openssl {args[0]} failed:\n{exc.stderr}") from exc


def _alive(pid: int) -> bool:
    """Running, and not a zombie: a broker this process started and stopped is reaped here."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:  # not our child: started by another newsworker command
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    """A currently free loopback port whose successor is free too (the controller's)."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 65535 and not port_open(port + 1):
            return port
    raise KafkaLocalError("no free port pair on 127.0.0.1")
