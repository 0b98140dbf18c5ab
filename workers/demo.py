"""`newsworker demo`: the whole path on this machine, then a short human summary."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

from workers.config import Settings
from workers.kafka_local import KAFKA_VERSION, LocalKafka, free_port, jars_ready, port_open
from workers.local_run import WorkerProcess, read_topic
from workers.records import expand_paths
from workers.replay import articles, replay


def run_demo(settings: Settings, seeds: Path, keep_running: bool) -> None:
    state = Path(settings.state_dir)
    broker = LocalKafka(state / "kafka-demo", free_port())
    click.echo(f"1/4 starting Apache Kafka (KRaft) on {broker.bootstrap} ...")
    if not jars_ready():
        click.echo(
            f"    first run: fetching the Kafka {KAFKA_VERSION} jars from Maven Central (~60 MB, ~25 s)"
        )
    broker.start()
    settings = dataclasses.replace(settings, bootstrap_servers=broker.bootstrap, group_id="newsworker-demo")
    worker = WorkerProcess(settings, state / "demo-worker.log")
    try:
        click.echo(f"2/4 starting the worker (log {worker.log_path}) ...")
        worker.start().supervise().wait_ready()
        click.echo(f"3/4 replaying {seeds}/ ...")
        ids = [key.decode() for key, _ in articles(expand_paths((str(seeds),)))]
        replay((str(seeds),), settings)
        received = read_topic(settings, settings.enriched_topic, until=ids, timeout=120)
        click.echo(f"4/4 {len([i for i in ids if i in received])}/{len(ids)} articles enriched\n")
        _summarise(received, ids, seeds)
        scraped = worker.metrics()
        click.echo("\nmetrics, as the worker exported them:")
        for name in ("newsworker_articles_consumed_total", "newsworker_articles_enriched_total"):
            click.echo(f"  {name}  {scraped.get(name, 0):.0f}")
        if keep_running:
            page_log = state / "demo-dashboard.log"
            page, url = _start_dashboard(settings, page_log)
            click.echo(f"\nleft running: worker pid {worker.process.pid}, Kafka pid {broker.pid()}")
            click.echo(f"  metrics {worker.url}/metrics, health {worker.url}/healthz, {worker.url}/readyz")
            _show_page(page, url, ids, page_log)
            click.echo(f"  stop them with: kill {worker.process.pid} {broker.pid()} {page.pid}")
            return
        click.echo("(KEEP_RUNNING=1 make demo leaves the worker, Kafka and the events page up)")
    except BaseException:
        keep_running = False
        raise
    finally:
        if not keep_running:
            worker.stop()
            broker.stop()
            click.echo("stopped the worker and Kafka")


def _start_dashboard(settings: Settings, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`newsworker dashboard --from-kafka` following the demo's enriched topic, as a child process
    (on the dashboard port, or a free one when that is taken)."""
    port = settings.dashboard_port if not port_open(settings.dashboard_port) else free_port()
    args = [
        *(sys.executable, "-m", "workers", "dashboard", "--from-kafka"),
        *("--bootstrap-servers", settings.bootstrap_servers, "--enriched-topic", settings.enriched_topic),
        *("--dashboard-port", str(port), "--dashboard-hours", str(settings.dashboard_hours)),
    ]
    with log_path.open("ab") as log:
        page = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    return page, f"http://127.0.0.1:{port}/"


def _show_page(
    page: subprocess.Popen, url: str, ids: list[str], log_path: Path, timeout: float = 60.0
) -> None:
    """Wait until the page holds every replayed article, then say where the seed's events are."""
    deadline = time.monotonic() + timeout
    articles: dict[str, dict] = {}
    while len(articles) < len(set(ids)) and time.monotonic() < deadline and page.poll() is None:
        try:
            with urllib.request.urlopen(url + "api/changes?since=0", timeout=2) as response:
                articles = {a["article_id"]: a for a in json.load(response)["articles"]}
        except OSError:
            pass
        time.sleep(0.5)
    if page.poll() is not None or not articles:
        if page.poll() is None:
            os.kill(page.pid, signal.SIGTERM)
        click.echo(f"  the events page did not start: see {log_path}")
        return
    seed = articles.get(ids[0], {"events": []})  # the seed's file sorts first
    places = collections.Counter(
        e["place_name"] or e["place"] for e in seed["events"] if e["latitude"] is not None
    )
    click.echo(f"  events page {url} (pid {page.pid}): {len(articles)} articles from the enriched topic")
    click.echo(
        f"    the seed's events on the map: {dict(places)}; 'window: all' shows the ANT sample (2014-2017)"
    )


def _summarise(received: dict, ids: list[str], seeds: Path) -> None:
    records = [received[i][-1].record for i in ids if i in received]
    seed = next((r for r in records if r.get("metadata") is None), records[0])
    lang = seed["language"]
    click.echo(f"seed article {seed['id']}: {seed.get('title')}")
    click.echo(f"  language {lang['code']} ({lang['script']}, confidence {lang['confidence']:.3f})")
    types = collections.Counter(e["type"] for e in seed["entities"])
    click.echo(f"  {len(seed['entities'])} entity mentions {dict(types)}; distinct linked ones:")
    seen = set()
    for entity in seed["entities"]:
        link = entity["link"]
        if link and (entity["type"], link["id"]) not in seen:
            seen.add((entity["type"], link["id"]))
            where = f" ({link['lat']:.2f}, {link['lon']:.2f})" if link.get("lat") is not None else ""
            click.echo(f"    {entity['type']:4} {entity['text']} -> {link['name_en']}{where}")
    click.echo(f"  {len(seed['events'])} events:")
    for event in seed["events"]:
        acled = event["acled"]["sub_event_type"] if event["acled"] else "-"
        source, target = (_actor(event["actors"][role]) for role in ("source", "target"))
        click.echo(
            f"    {event['plover']['type']}/{event['plover']['mode'] or '-'} [{acled}] "
            f"'{event['trigger']['text']}' {source} -> {target} (confidence {event['confidence']:.2f})"
        )
    languages = collections.Counter(r["language"]["code"] for r in records)
    click.echo(f"all {len(records)} articles by language: {dict(languages.most_common(5))}")
    stories = collections.Counter(r["story"]["id"] for r in records)
    copies = sum(r["story"]["duplicate_of"] is not None for r in records)
    joined = sum(n for n in stories.values() if n > 1)
    click.echo(
        f"stories: {len(stories)} among {len(records)} articles; {copies} near-duplicates of an"
        f" earlier article; {joined} articles in stories of two or more"
    )


def _actor(actor: dict | None) -> str:
    """An actor as written, with the name of the entity it holds when that is linked."""
    if actor is None:
        return "?"
    return f"{actor['text']} ({actor['link']['name_en']})" if actor["link"] else actor["text"]
