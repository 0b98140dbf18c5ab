"""A real single-node Apache Kafka 4.x (KRaft) on 127.0.0.1 for the demo, tests and benchmarks.

The broker's jars come from Maven Central through `deploy/local/kafka/pom.xml` (Maven resolves
them into ~/.m2 once); the classpath is cached next to the broker's data. Java 17+ runs it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
POM = REPO / "deploy" / "local" / "kafka" / "pom.xml"
SERVER_PROPERTIES = REPO / "deploy" / "local" / "kafka" / "server.properties"
LOG4J = REPO / "deploy" / "local" / "kafka" / "log4j2.properties"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsworker" / "kafka"


class KafkaLocalError(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalKafka:
    """A broker's home: `dir` holds data, logs and the pid file; it listens on 127.0.0.1:port."""

    dir: Path
    port: int = 9092

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

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

    def _write_properties(self) -> Path:
        text = SERVER_PROPERTIES.read_text().format(
            port=self.port, controller_port=self.port + 1, data_dir=self.dir / "data"
        )
        path = self.dir / "server.properties"
        path.write_text(text)
        return path

    def _wait_ready(self, process: subprocess.Popen, timeout: float) -> None:
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise KafkaLocalError(f"Kafka exited with {process.returncode}; see {self.log_file}")
            if port_open(self.port):
                try:
                    admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
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
