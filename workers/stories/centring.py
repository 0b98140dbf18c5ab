"""Cosines across languages, each vector less its language's mean in the window.

Every text of a language shares a direction in USE's space (the language's own, and what the
window's texts have in common), so a translation scores lower than a text of the same language,
and unrelated texts of two languages sit closer than they should. Removing each language's mean
vector from both sides keeps what the two texts share beyond their languages: on the UDHR dev
triples, at the threshold that clears precision 0.90 and recall 0.70 by the widest margin, pooled
P 0.94 R 0.73 became P 0.98 R 0.76 (`newsworker eval stories`).

The index keeps each story's articles of one language as a row: the sum S of their vectors and
their count c. For an article a of language A and a row of language B, with means m_A and m_B:
(S - c m_B).(a - m_A) = S.a - S.m_A - c m_B.a + c m_B.m_A and |S - c m_B|^2 = |S|^2 - 2c S.m_B +
c^2 |m_B|^2. S.a is the product the index computes anyway; S.m for every row and language is kept
here (`dots`), updated as rows change, so an article still costs one pass over the rows. The
means used are refreshed from the rows themselves (a language's sum is the sum of its rows) every
few additions (at most 256; every one while the window is small), and after a restore, not on
each article: recomputing them and every row's products with them is a pass over all rows.
"""

from __future__ import annotations

import numpy as np

# A language's mean is shrunk towards zero while the window holds few of its articles (a mean of
# three is mostly those three): sum / (n + PRIOR).
PRIOR = 10
REFRESH_EVERY = 256  # additions, at most, between two refreshes of the means


class Centring:
    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.codes: dict[str, int] = {}  # language -> code, in order of appearance
        # the means in use, one row per code they cover, then a row of zeros: a language that
        # came since the last refresh, and free rows, are not centred
        self.means = np.zeros((1, dimensions), np.float32)
        self.dots = np.zeros((0, 1), np.float32)  # row -> its sum's product with each mean
        self.pending = 0  # additions since the last refresh

    def code(self, language: str) -> int:
        return self.codes.setdefault(language, len(self.codes))

    def grow(self, rows: int) -> None:
        grown = np.zeros((rows, self.dots.shape[1]), np.float32)
        grown[: len(self.dots)] = self.dots
        self.dots = grown

    def moved(self, row: int, vector: np.ndarray) -> None:
        """Row `row`'s sum changed by `vector` (an article joined or left it)."""
        self.dots[row] += self.means @ vector

    def freed(self, row: int) -> None:
        self.dots[row] = 0.0

    def added(self, rows: np.ndarray, counts: np.ndarray, codes: np.ndarray, size: int) -> None:
        """An article entered the window (of `size` articles); the index's rows as `refresh` takes them."""
        self.pending += 1
        if self.pending >= min(REFRESH_EVERY, max(1, size // 32)):
            self.refresh(rows, counts, codes)

    def refresh(self, rows: np.ndarray, counts: np.ndarray, codes: np.ndarray) -> None:
        """Each language's mean, and every row's products with the means, from the index's rows:
        their sums, articles and language codes (-1: a free row)."""
        languages = len(self.codes)
        members = (codes[None, :] == np.arange(languages)[:, None]).astype(np.float32)
        totals = members @ rows  # (languages, dimensions): each language's sum of vectors
        means = np.zeros((languages + 1, self.dimensions), np.float32)
        means[:languages] = totals / (members @ counts + PRIOR)[:, None]
        self.means = means
        self.dots = np.zeros((len(self.dots), len(means)), np.float32)
        self.dots[: len(rows)] = rows @ means.T
        self.pending = 0

    def cosines(
        self,
        products: np.ndarray,
        norms: np.ndarray,
        counts: np.ndarray,
        codes: np.ndarray,
        vector: np.ndarray,
        language: str,
    ) -> np.ndarray:
        """Each row's centred cosine with the centred `vector` of `language`. `products`: the rows'
        sums times `vector`; `norms`, `counts`, `codes`: the rows' norms, articles and languages
        (-1: a free row)."""
        n = len(products)
        covered = len(self.means) - 1
        of_row = np.where((codes >= 0) & (codes < covered), codes, covered)
        own = self.codes.get(language, covered)
        own = own if own < covered else covered
        mean = self.means[own]
        centred = vector - mean
        with_vector, with_mean = (self.means @ vector)[of_row], (self.means @ mean)[of_row]
        squared = (self.means * self.means).sum(1)[of_row]
        dots = self.dots[:n]
        top = products - dots[:, own] - counts * with_vector + counts * with_mean
        below = norms**2 - 2 * counts * dots[np.arange(n), of_row] + counts**2 * squared
        below = np.sqrt(np.maximum(below, 0.0)) * max(float(np.linalg.norm(centred)), 1e-12)
        return top / np.where(below > 1e-9, below, 1.0)
