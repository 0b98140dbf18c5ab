"""Precision, recall and F1: one helper for every `newsworker eval` that scores claims."""

from __future__ import annotations


def precision_recall_f1(tp: int, fp: int, positives: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from true and false positives and the number of real positives."""
    precision, recall = tp / max(1, tp + fp), tp / max(1, positives)
    return precision, recall, 2 * precision * recall / max(1e-9, precision + recall)
