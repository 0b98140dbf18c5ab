"""Rebuild seeds/ant-sample.jsonl: 200 ANT v1.1 articles, a fixed random sample, as raw articles.

python seeds/make_ant_sample.py [../shared/data/ant-corpus/ant_v1.1.jsonl]
"""

import json
import random
import re
import sys
from pathlib import Path

SIZE = 200
# ANT writes some times as dd/mm/yyyy; the raw-article schema wants RFC 3339 (Tunisia: UTC+01:00).
DAY_FIRST = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
SEED = 2017  # fixed: the sample, and so every benchmark on it, is reproducible

corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ant-corpus/ant_v1.1.jsonl")
rows = [json.loads(line) for line in corpus.open(encoding="utf-8")]
sample = sorted(random.Random(SEED).sample(rows, SIZE), key=lambda row: row["docno"])
out = Path(__file__).with_name("ant-sample.jsonl")
with out.open("w", encoding="utf-8") as f:
    for row in sample:
        article = {
            "id": row["docno"],
            "title": row["title"],
            "text": row["text"],
            "url": row["url"],
            "source": "Jawhara FM",
            "published_at": DAY_FIRST.sub(r"\3-\2-\1T00:00:00+01:00", row["time"]),
            "metadata": {"category": row["category"], "corpus": "ANT v1.1"},
        }
        f.write(json.dumps(article, ensure_ascii=False) + "\n")
print(f"wrote {SIZE} articles to {out}")
